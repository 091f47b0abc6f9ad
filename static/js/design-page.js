// The design page: "PNG" draws the server's SVG picture of the design onto a canvas and
// downloads it (the SVG itself comes from the server as a file).

const link = document.getElementById("export-png");
if (link) {
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const source = document.getElementById("thumbnail");
    const image = new Image();
    image.src = source.currentSrc || source.src;
    await image.decode();
    const scale = 3;
    const canvas = Object.assign(document.createElement("canvas"), { width: image.naturalWidth * scale, height: image.naturalHeight * scale });
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const download = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: link.dataset.filename });
    download.click();
  });
}
