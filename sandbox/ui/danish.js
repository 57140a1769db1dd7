// Gradio writes a few words in English that its translations do not cover
// (it has no Danish): the login form, the queue position, the titles of
// pop-up messages, the lost-connection message, and decimal points in its
// progress and timing figures, a slider's two ends and a file's size. The app
// is Danish throughout, so exactly those text nodes are rewritten as they
// appear. sandbox/ui/danish.py puts this script into every page, so it runs on
// the login page too.
(() => {
  // Gradio marks the page as English (lang="en"); screen readers would read the Danish text with an English voice.
  const root = document.documentElement;
  const keepDanish = () => root.lang === "da" || (root.lang = "da");
  keepDanish();
  new MutationObserver(keepDanish).observe(root, { attributes: true, attributeFilter: ["lang"] });
  const queue = /^queue: (\d+)\/(\d*) \|$/;
  const titles = { Error: "Fejl", Warning: "Advarsel", Info: "Til orientering", Success: "Udført" };
  const login = {
    Login: "Log ind",
    username: "Brugernavn",
    password: "Adgangskode",
    "Incorrect Credentials": "Forkert brugernavn eller adgangskode. Prøv igen.",
  };
  const messages = {
    "Connection to the server was lost. Attempting reconnection...":
      "Forbindelsen til legepladsen blev afbrudt. Prøver at forbinde igen …",
    "(size unknown)": "(ukendt størrelse)",
  };
  // Progress ("2/18 trin | 6.1s", "… - 11.1%"), the queue's time ("0.9/3.8s"), a slider's ends ("0.05")
  // and an exported file's size ("63.9 KB", in the Log tab). A slider's number box is an <input>, not text:
  // its label carries the Danish figure (sandbox/ui/playground.py).
  const figures = ".progress-text, .progress-level-inner, .meta-text, .meta-text-center, .min_value, .max_value, "
    + ".file-preview .download";
  const decimalPoint = /(\d)\.(\d)/g;
  const inLoginForm = (element) => {
    const panel = element && element.closest(".panel");
    return Boolean(panel && panel.querySelector("input[type=password]"));
  };
  // After failed logins the server makes the name and the address wait, and says so in the
  // detail of its refusal ("For mange forsøg – prøv igen om 8 sekunder."). Gradio's login form
  // shows any refusal as "Incorrect Credentials", so the detail is read here and shown instead.
  let loginMessage = login["Incorrect Credentials"];
  const fetchBefore = window.fetch.bind(window);
  window.fetch = async (resource, options) => {
    const response = await fetchBefore(resource, options);
    const url = new URL(typeof resource === "string" ? resource : resource.url, location.href);
    if (response.status === 400 && options && options.method === "POST" && /\/login\/?$/.test(url.pathname)) {
      let detail = null;
      try {
        detail = (await response.clone().json()).detail;
      } catch (error) {
        detail = null;
      }
      loginMessage = typeof detail === "string" && detail.startsWith("For mange forsøg") ? detail : login["Incorrect Credentials"];
      // The form keeps its message element after the first refusal; later ones only change its text.
      setTimeout(() => document.querySelectorAll(".creds").forEach((element) => { element.textContent = loginMessage; }));
    }
    return response;
  };
  const translate = (node) => {
    const text = (node.nodeValue || "").trim();
    if (text === "Incorrect Credentials" && inLoginForm(node.parentElement)) {
      node.nodeValue = loginMessage;
      return;
    }
    if (login[text] && inLoginForm(node.parentElement)) {
      node.nodeValue = node.nodeValue.replace(text, login[text]);
      return;
    }
    const inQueue = queue.exec(text);
    if (inQueue) {
      node.nodeValue = `Plads i køen: ${inQueue[1]} af ${inQueue[2]} |`;
    } else if (text === "processing |") {
      node.nodeValue = "Modellen arbejder |";
    } else if (titles[text] && node.parentElement && node.parentElement.closest(".toast-title")) {
      node.nodeValue = titles[text];
    } else if (messages[text]) {
      node.nodeValue = messages[text];
    } else if (node.parentElement && node.parentElement.closest(figures)) {
      const danish = node.nodeValue.replace(decimalPoint, "$1,$2").replace(/\bKB\b/g, "kB");
      if (danish !== node.nodeValue) node.nodeValue = danish;
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
