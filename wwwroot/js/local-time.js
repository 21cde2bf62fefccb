// Rewrites every <time class="local-time"> (LocalTime.razor) in the browser's language and time zone, now and
// whenever Blazor adds one. Blazor diffs its own render tree, not the DOM, so the rewritten text stays.
// Written here: Intl.DateTimeFormat does the work; this only applies it.
(() => {
  const formats = {
    date: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }),
    datetime: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
  };
  const localize = root => {
    for (const element of root.querySelectorAll('time.local-time')) {
      const when = new Date(element.getAttribute('datetime'));
      if (isNaN(when)) continue;
      const text = (formats[element.dataset.style] ?? formats.datetime).format(when);
      if (element.textContent !== text) element.textContent = text;
    }
  };
  const start = () => {
    localize(document);
    new MutationObserver(() => localize(document)).observe(document.body, { subtree: true, childList: true, characterData: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
