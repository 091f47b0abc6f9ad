// The design page: "PNG" draws the server's SVG picture of the design onto a canvas and
// downloads it (the SVG itself comes from the server as a file).

import { $, downloadBlob, el } from "./dom.js";

const link = $("export-png");
if (link) {
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const source = $("thumbnail");
    const image = new Image();
    image.src = source.currentSrc || source.src;
    await image.decode();
    const scale = 3;
    const canvas = Object.assign(el("canvas"), { width: image.naturalWidth * scale, height: image.naturalHeight * scale });
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    downloadBlob(blob, link.dataset.filename);
  });
}
