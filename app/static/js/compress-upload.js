/* Umit: shrink big phone photos in the browser before they are uploaded.
 *
 * Progressive enhancement: on <input type=file data-compress-images>, a JPEG or PNG photo larger
 * than ~1.5 MB is redrawn in a canvas at most 2000 px on its long side, as JPEG quality 0.82, and
 * put back into the input (DataTransfer) before the form is sent. Without JavaScript, or in a
 * browser lacking createImageBitmap/DataTransfer/toBlob, the original file is uploaded unchanged.
 * No inline script, no blob: URLs: it works under the portal's strict CSP.
 */
(function () {
  "use strict";

  var LIMIT = 1.5 * 1024 * 1024;
  var MAX_SIDE = 2000;
  var QUALITY = 0.82;
  var TYPES = ["image/jpeg", "image/png"];

  function supported() {
    return typeof window.createImageBitmap === "function" &&
      typeof window.DataTransfer === "function" &&
      typeof HTMLCanvasElement.prototype.toBlob === "function";
  }

  function jpegName(name) {
    var base = name.replace(/\.[^.]*$/, "");
    return (base || "photo") + ".jpg";
  }

  function compress(file) {
    return window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // PNG transparency becomes white, not black, in a JPEG
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(resolve, "image/jpeg", QUALITY);
      });
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) { return file; } // never send a bigger file
      return new File([blob], jpegName(file.name), {type: "image/jpeg", lastModified: Date.now()});
    });
  }

  function enhance(input) {
    var form = input.form;
    var pending = null;

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || TYPES.indexOf(file.type) < 0 || file.size <= LIMIT) {
        pending = null;
        return;
      }
      input.setAttribute("data-compress-state", "working");
      pending = compress(file).then(function (smaller) {
        if (smaller !== file) {
          var transfer = new DataTransfer();
          transfer.items.add(smaller);
          input.files = transfer.files;
        }
        input.setAttribute("data-compress-state", smaller !== file ? "done" : "kept");
      }, function () {
        input.setAttribute("data-compress-state", "kept"); // upload the original
      }).then(function () { pending = null; });
    });

    if (form) {
      form.addEventListener("submit", function (event) {
        if (!pending) { return; }
        event.preventDefault(); // wait for the smaller photo, then send
        var submitter = event.submitter || null;
        pending.then(function () {
          if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
        });
      });
    }
  }

  function init() {
    if (!supported()) { return; }
    var inputs = document.querySelectorAll("input[type=file][data-compress-images]");
    for (var i = 0; i < inputs.length; i++) { enhance(inputs[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
