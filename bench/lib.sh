# Shared by the benchmark scripts: sourced, not run. Expects $WORK (a
# temporary directory the script removes) to be set.

need() { command -v "$1" >/dev/null 2>&1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts Debian's nginx on 127.0.0.1:$1 with $2 as the body of `location /`,
# two workers, no access log, everything under $WORK.
start_nginx() {
  local port=$1 location=$2
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
  uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
  server {
    listen 127.0.0.1:$port;
    location / { $location }
  }
}
NGINX
  /usr/sbin/nginx -c "$WORK/nginx.conf" -p "$WORK"
  sleep 0.3
}

stop_nginx() {
  kill "$(cat "$WORK/nginx.pid")"
  rm -f "$WORK/nginx.pid"
}
