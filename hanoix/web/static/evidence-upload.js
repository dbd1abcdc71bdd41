// Resumable uploads for a request's evidence page. Each file is sent in slices with
// Content-Range to an upload the node creates; after a network failure the page asks the node
// how much it holds and goes on from there. Without this script the form posts the files whole.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.fetch || !window.File || !File.prototype.slice) { return; }
  var SLICE = 8 * 1024 * 1024;
  var RETRIES = 8;
  var base = form.dataset.uploads;
  var token = form.querySelector("input[name=csrf_token]").value;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");

  function Refused(message) { this.message = message; }

  function wait(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }

  // The node's JSON answer; anything else (the sign-in page after a session ended, a proxy's
  // error page) is a refusal the user has to act on.
  function answer(response) {
    return response.json().catch(function () {
      return { message: form.dataset.signInAgain || response.statusText, failed: true };
    });
  }

  function send(url, options) {
    options.credentials = "same-origin";
    options.headers = Object.assign({ "X-CSRF-Token": token }, options.headers || {});
    return fetch(url, options);
  }

  async function start(file) {
    var name = file.webkitRelativePath || file.name;
    var response = await send(base, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: name, size: file.size })
    });
    var data = await answer(response);
    if (!response.ok || data.failed) { throw new Refused(name + ": " + data.message); }
    // An upload of this file left unfinished (the page was closed) goes on where it stopped.
    return { url: base + "/" + data.upload, offset: data.offset };
  }

  async function offsetOf(url) {
    var response = await send(url, { method: "GET" });
    var data = await answer(response);
    if (!response.ok || data.failed) { throw new Refused(data.message); }
    return data.offset;
  }

  async function upload(file, shown) {
    var started = await start(file);
    var url = started.url;
    var offset = started.offset;
    shown(offset);
    var failures = 0;
    while (offset < file.size) {
      var end = Math.min(offset + SLICE, file.size);
      try {
        var response = await send(url, {
          method: "PUT",
          headers: {
            "Content-Type": "application/octet-stream",
            "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size
          },
          body: file.slice(offset, end)
        });
        var data = await answer(response);
        if ((response.ok || response.status === 409) && !data.failed) {
          offset = data.offset;  // the node's word on what it holds, also after a mismatch
          failures = 0;
        } else {
          throw new Refused(data.message);
        }
      } catch (error) {
        if (error instanceof Refused || ++failures > RETRIES) { throw error; }
        status.textContent = form.dataset.retrying || "…";
        await wait(Math.min(30000, 500 * Math.pow(2, failures)));
        offset = await offsetOf(url);
      }
      shown(offset);
    }
  }

  form.addEventListener("submit", async function (event) {
    var files = [].concat(
      Array.prototype.slice.call(form.querySelector("#files").files),
      Array.prototype.slice.call(form.querySelector("#folder").files)
    );
    if (!files.length) { return; }  // the form's own answer says what is missing
    event.preventDefault();
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0) || 1;
    var before = 0;
    form.querySelector("button[type=submit]").disabled = true;
    try {
      for (var i = 0; i < files.length; i++) {
        status.textContent = (i + 1) + " / " + files.length + ": " + (files[i].webkitRelativePath || files[i].name);
        await upload(files[i], function (done) {
          bar.value = Math.floor(100 * (before + done) / total);
          bar.textContent = bar.value + "%";
        });
        before += files[i].size;
      }
      bar.value = 100;
      window.location.reload();
    } catch (error) {
      status.textContent = error.message || String(error);
      form.querySelector("button[type=submit]").disabled = false;
    }
  });
})();
