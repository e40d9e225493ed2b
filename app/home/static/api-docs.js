// Swagger UI over this server's OpenAPI document; a file of its own (not an inline script)
// so that the page's Content-Security-Policy can forbid inline scripts.
window.addEventListener("load", function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.specUrl,
    domNode: element,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    // The validator badge would call a third-party host.
    validatorUrl: null,
  });
});
