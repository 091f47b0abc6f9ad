// HTTP calls to the lab's JSON API. Django's CSRF token travels in a header.

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

// Resolves to {ok, status, body, retryAfter}; a refused request carries body.problems, and a
// 429 (over a quota) says in retryAfter how many seconds to wait.
export async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch { data = { problems: [{ path: "$", message: `the server answered ${response.status}` }] }; }
  return { ok: response.ok, status: response.status, body: data, retryAfter: Number(response.headers.get("Retry-After")) || null };
}
