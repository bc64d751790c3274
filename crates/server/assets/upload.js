// Drag-and-drop and progress for the pages' upload forms. The form works
// without this script (a plain file input that takes several files); with
// it, files can be dropped on the form, and the upload shows its progress.
// Served from the server's own origin (the Content-Security-Policy allows
// no inline script).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector(".drop-zone");
    var list = form.querySelector(".drop-files");
    var progress = form.querySelector("progress.upload");
    if (!input || !zone || !progress) {
      return;
    }
    zone.hidden = false;

    function show(files) {
      list.textContent = "";
      Array.prototype.forEach.call(files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name;
        list.appendChild(item);
      });
    }

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () {
        zone.classList.remove("over");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show(input.files);
      }
    });
    input.addEventListener("change", function () {
      show(input.files);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
      }
      progress.hidden = false;
      progress.value = 0;
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          progress.value = Math.round((e.loaded / e.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        progress.value = 100;
        if (request.status < 400 && request.responseURL && request.responseURL !== form.action) {
          // The answer's page (the redirect was followed): go there.
          window.location.assign(request.responseURL);
          return;
        }
        // The form again with its problems, or an error page: show it.
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () {
        // The connection broke: fall back to the plain form post.
        form.submit();
      });
      request.send(new FormData(form));
    });
  });
});
