/* The certificate page after "打印" was recorded: open the browser's print dialog once. */
(function () {
  "use strict";
  var cert = document.getElementById("certificate");
  if (cert && cert.dataset.autoprint === "1") { window.addEventListener("load", function () { window.print(); }); }
})();
