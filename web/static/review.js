// The printable review's Print button. Without script the browser's own
// print command gives the same page.
document.getElementById("print-review")?.addEventListener("click", () => window.print());
