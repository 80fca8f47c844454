fn main() -> std::process::ExitCode {
    affrank::cli::main()
}
