// A classic worker: the plugin's worker module is not in it, so the page must not send
// it the tracer. It answers with the first message it got.
self.onmessage = (e) => self.postMessage({ first: e.data });
