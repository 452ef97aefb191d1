// The runner: a sandboxed iframe (opaque origin: no storage, no cookies) whose policy allows no
// network; it starts the worker from the source the page sends and hands it the page's port.
addEventListener('message', function (e) {
  if (e.source !== parent || typeof e.data.source !== 'string') return;
  var boot = 'onmessage = function (m) { onmessage = null; var url = URL.createObjectURL(new Blob([m.data], { type: "text/javascript" }));' +
    ' import(url).then(function (mod) { mod.start(m.ports[0]); }); };';
  var worker = new Worker(URL.createObjectURL(new Blob([boot], { type: 'text/javascript' })));
  worker.postMessage(e.data.source, [e.ports[0]]);
});
parent.postMessage('runner-ready', '*');
