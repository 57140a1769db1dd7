// Gradio writes a few words in English that its translations do not cover
// (it has no Danish): the queue position and the titles of pop-up messages.
// The app is Danish throughout, so exactly those text nodes are rewritten as
// they appear. (Gradio's login page is served before this script loads; the
// app's Danish login message stands above its fields.)
(() => {
  const queue = /^queue: (\d+)\/(\d*) \|$/;
  const titles = { Error: "Fejl", Warning: "Advarsel", Info: "Til orientering", Success: "Udført" };
  const translate = (node) => {
    const text = (node.nodeValue || "").trim();
    const inQueue = queue.exec(text);
    if (inQueue) {
      node.nodeValue = `Plads i køen: ${inQueue[1]} af ${inQueue[2]} |`;
    } else if (text === "processing |") {
      node.nodeValue = "Modellen arbejder |";
    } else if (titles[text] && node.parentElement && node.parentElement.closest(".toast-title")) {
      node.nodeValue = titles[text];
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return translate(root);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) translate(walker.currentNode);
  };
  const start = () => {
    walk(document.body);
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        if (mutation.type === "characterData") translate(mutation.target);
        mutation.addedNodes.forEach(walk);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
