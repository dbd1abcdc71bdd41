// The case page's file form, with its progress: the files go in one request (XMLHttpRequest,
// since fetch reports no upload progress), the node hashes them in memory and answers with the
// case page. Without this script the form posts the files the same way, without progress.
(function () {
  "use strict";
  var form = document.getElementById("content-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var bar = document.getElementById("content-progress");
  var status = document.getElementById("content-status");
  var token = form.querySelector("input[name=csrf_token]").value;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-CSRF-Token", token);
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) { return; }
      var percent = Math.floor((100 * progress.loaded) / progress.total);
      bar.value = percent;
      bar.textContent = percent + "%";
      if (percent >= 100) { status.textContent = form.dataset.sending || "…"; }
    });
    request.addEventListener("load", function () {
      if (request.status >= 200 && request.status < 300 && request.responseURL) {
        window.location.assign(request.responseURL);  // the case page, with what was done
        return;
      }
      // A refusal comes back as the case page with what to fix: show its message here.
      var page = new DOMParser().parseFromString(request.responseText, "text/html");
      var refused = page.querySelector("[data-testid=refused]");
      status.textContent = refused ? refused.textContent.trim() : form.dataset.failed;
      button.disabled = false;
    });
    request.addEventListener("error", function () {
      status.textContent = form.dataset.failed;
      button.disabled = false;
    });
    button.disabled = true;
    bar.value = 0;
    request.send(new FormData(form));
  });
}());
