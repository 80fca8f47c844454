// glibc's malloc was a sixth of the click path's own CPU time (many small,
// short-lived allocations per request); mimalloc halves that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    affrank::cli::main()
}
