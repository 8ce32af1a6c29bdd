// Progressive enhancement of the scan form: where the browser has BarcodeDetector and a camera, read the
// label's QR code into the id field. Without them the form works as typed or pasted.
(function () {
  "use strict";
  var box = document.querySelector("[data-camera]");
  var field = document.getElementById("id_code");
  if (!box || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  box.hidden = false;
  var video = box.querySelector("[data-camera-view]");
  box.querySelector("[data-camera-start]").addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (track) { track.stop(); }); };
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            field.value = codes[0].rawValue;
            stop();
            field.form.requestSubmit();
          } else {
            window.requestAnimationFrame(look);
          }
        }, stop);
      };
      look();
    });
  });
})();
