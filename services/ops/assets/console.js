// The Dayone console's only script: the queues table refreshes its counts
// every few seconds, asking with the last ETag so an unchanged answer is a
// bodiless 304.
(function () {
  "use strict";
  var table = document.getElementById("queues");
  if (!table) return;
  var url = table.getAttribute("data-refresh");
  var etag = null;
  var fields = ["ready", "unacked", "consumers", "publish_rate", "ack_rate"];

  function show(queues) {
    queues.forEach(function (q) {
      var row = table.querySelector('tr[data-queue="' + q.name + '"]');
      if (!row) return;
      fields.forEach(function (f) {
        var cell = row.querySelector('[data-field="' + f + '"]');
        if (cell) cell.textContent = f.indexOf("rate") >= 0 ? q[f].toFixed(1) : String(q[f]);
      });
      var dead = row.querySelector('[data-field="dead_letters"]');
      if (!dead) return;
      dead.textContent = "";
      if (q.dead_letters > 0) {
        var link = document.createElement("a");
        link.href = "/console/queues/" + encodeURIComponent(q.name);
        link.textContent = String(q.dead_letters);
        dead.appendChild(link);
      } else {
        dead.textContent = "0";
      }
    });
  }

  function refresh() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.json().then(show);
        }
      })
      .catch(function () {})
      .then(function () { setTimeout(refresh, 3000); });
  }
  setTimeout(refresh, 3000);
})();
