// oci-check's page: a filter box, sorting by column, and a refresh of the rows without a full reload.
// The page works without it; it only rearranges what the server rendered.
"use strict";
(function () {
  const table = document.getElementById("workloads");
  const filter = document.getElementById("filter");
  const refreshButton = document.getElementById("refresh");
  if (!table || !filter) {
    return;
  }
  let sortColumn = -1;
  let ascending = true;

  function applyFilter() {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const row of table.tBodies[0].rows) {
      const text = row.textContent.toLowerCase();
      row.hidden = !words.every((word) => text.includes(word));
    }
  }

  function sortRows() {
    const headers = table.tHead.rows[0].cells;
    for (const header of headers) {
      header.setAttribute("aria-sort", header.cellIndex === sortColumn ? (ascending ? "ascending" : "descending") : "none");
    }
    if (sortColumn < 0) {
      return;
    }
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = a.cells[sortColumn].textContent.trim();
      const y = b.cells[sortColumn].textContent.trim();
      return (ascending ? 1 : -1) * x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
    });
    for (const row of rows) {
      body.appendChild(row);
    }
  }

  table.tHead.addEventListener("click", (event) => {
    const header = event.target.closest("th");
    if (!header) {
      return;
    }
    ascending = header.cellIndex === sortColumn ? !ascending : true;
    sortColumn = header.cellIndex;
    sortRows();
  });
  for (const header of table.tHead.rows[0].cells) {
    header.tabIndex = 0;
    header.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        header.click();
      }
    });
  }
  filter.addEventListener("input", applyFilter);

  async function refresh() {
    try {
      const answer = await fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) {
        return;
      }
      const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
      for (const id of ["summary", "hosts"]) {
        const next = fresh.getElementById(id);
        const now = document.getElementById(id);
        if (next && now) {
          now.replaceWith(document.importNode(next, true));
        }
      }
      const body = fresh.querySelector("#workloads tbody");
      if (body) {
        table.tBodies[0].replaceWith(document.importNode(body, true));
        sortRows();
        applyFilter();
      }
    } catch (_) {
      // The watcher may be restarting: the next refresh tries again.
    }
  }
  if (refreshButton) {
    refreshButton.addEventListener("click", refresh);
  }
  window.setInterval(refresh, 60000);
})();
