"""The gateway's own HTTP server: nameko's, with every answer it gives by itself in problem+json.

nameko's WSGI app answers a path no route has, or a method a route does not take (TRACE, OPTIONS, QUERY...),
with Werkzeug's HTML error page, and its `Allow` header listed what a catch-all route took rather than what the
path offers. Here a path no route has is a 404 problem; a known path with another method is a 405 problem whose
`Allow` lists the methods the path's routes declare (the ones in the OpenAPI document).
"""

from __future__ import annotations

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request

from services.gateway.problems import problem


class ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except MethodNotAllowed as exc:
            allowed = sorted(set(exc.valid_methods or ()) - {"HEAD"})
            response = problem(
                405,
                "method_not_allowed",
                "Phương thức không được hỗ trợ",
                f"Địa chỉ này nhận: {', '.join(allowed)}.",
                {"allowed": allowed},
                headers={"Allow": ", ".join(allowed)},
            )
            return response(environ, start_response)
        except NotFound:
            response = problem(
                404, "route_not_found", "Không tìm thấy", "Không có địa chỉ này.", {"path": request.path}
            )
            return response(environ, start_response)
        except HTTPException as exc:  # a malformed request line or host: its own status, still a problem
            response = problem(exc.code or 400, "bad_request", "Yêu cầu không hợp lệ", exc.description or "")
            return response(environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class ProblemWebServer(WebServer):
    def get_wsgi_app(self):
        return ProblemWsgiApp(self)


class Http(HttpRequestHandler):
    server = ProblemWebServer()


http = Http.decorator
