// Starts Swagger UI on /docs with this server's OpenAPI document (no inline script: the
// page keeps a Content-Security-Policy that allows scripts from this host only).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
