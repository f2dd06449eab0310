/**
 * The sandbox page: pick any employee of the demo company, see their chat with the bot and the cards they got
 * (drawn by the server from the card definitions), tap buttons, type messages. Plain HTML and a little script,
 * so it needs no build step; it polls the sandbox API.
 */
export const SANDBOX_PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>目标责任落实 · 沙盒</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.5 -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f2f3f5; color: #1f2329; display: flex; height: 100vh; }
  aside { width: 280px; background: #fff; border-right: 1px solid #e5e6eb; display: flex; flex-direction: column; }
  aside header { padding: 12px; border-bottom: 1px solid #e5e6eb; }
  aside h1 { font-size: 15px; margin: 0 0 8px; }
  aside input { width: 100%; padding: 6px 8px; border: 1px solid #c9cdd4; border-radius: 6px; }
  #staff { overflow-y: auto; flex: 1; }
  .person { padding: 8px 12px; cursor: pointer; border-bottom: 1px solid #f2f3f5; }
  .person:hover, .person.active { background: #e8f3ff; }
  .person small { color: #86909c; display: block; }
  main { flex: 1; display: flex; flex-direction: column; }
  main header { background: #fff; padding: 12px 16px; border-bottom: 1px solid #e5e6eb; font-weight: 600; }
  #chat { flex: 1; overflow-y: auto; padding: 16px; }
  .msg { max-width: 560px; margin: 8px 0; padding: 8px 12px; border-radius: 8px; background: #fff; white-space: pre-wrap; }
  .msg.me { margin-left: auto; background: #3370ff; color: #fff; }
  .msg.image { padding: 4px; }
  .msg.image img { display: block; max-width: 100%; border-radius: 6px; }
  .card { max-width: 560px; margin: 8px 0; background: #fff; border-radius: 8px; border: 1px solid #e5e6eb; overflow: hidden; }
  .card h3 { margin: 0; padding: 10px 12px; font-size: 15px; background: #f7f8fa; border-bottom: 1px solid #e5e6eb; }
  .card .lines { padding: 8px 12px; white-space: pre-wrap; }
  .card .status { padding: 6px 12px; color: #00b42a; font-weight: 600; }
  .card .buttons { padding: 8px 12px; display: flex; flex-wrap: wrap; gap: 8px; border-top: 1px solid #f2f3f5; }
  .card form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
  .card form input { padding: 4px 6px; border: 1px solid #c9cdd4; border-radius: 4px; width: 120px; }
  button { padding: 6px 14px; border-radius: 6px; border: 1px solid #3370ff; background: #3370ff; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #3370ff; }
  footer { display: flex; gap: 8px; padding: 12px 16px; background: #fff; border-top: 1px solid #e5e6eb; }
  footer input { flex: 1; padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 6px; }
  #notice { color: #f53f3f; padding: 0 16px; min-height: 1.5em; }
  .empty { color: #86909c; text-align: center; margin-top: 40px; }
</style>
</head>
<body>
<aside>
  <header><h1>沙盒：以任意员工身份体验</h1><input id="filter" placeholder="搜索姓名、部门、职位" data-testid="filter"></header>
  <div id="staff" data-testid="staff"></div>
</aside>
<main>
  <header id="who" data-testid="who">请选择左侧的员工</header>
  <div id="chat" data-testid="chat"><div class="empty">选择一名员工，查看 TA 在钉钉里收到的消息和卡片</div></div>
  <div id="notice" data-testid="notice"></div>
  <footer><input id="text" placeholder="像在钉钉里一样回复机器人，例如：本周完成35万，新客户2家" data-testid="text"><button id="send" data-testid="send">发送</button></footer>
</main>
<script>
const $ = (id) => document.getElementById(id);
let people = [], current = null, lastJson = "";
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
// Card text is DingTalk markdown; the sandbox draws the bold it uses (after escaping, so nothing else gets in).
const md = (s) => esc(s).replace(/\\*\\*(.+?)\\*\\*/g, "<b>$1</b>");
async function api(path, body) {
  const res = await fetch(path, body ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {});
  const data = await res.json();
  if (!res.ok) throw new Error(data.error ? data.error.message : res.statusText);
  return data;
}
function drawStaff() {
  const q = $("filter").value.trim();
  $("staff").innerHTML = people.filter((p) => !q || [p.name, p.dept, p.title, p.userId].join(" ").includes(q))
    .map((p) => '<div class="person' + (current && current.userId === p.userId ? " active" : "") + '" data-user="' + esc(p.userId) + '">' +
      esc(p.name) + '<small>' + esc(p.dept) + ' · ' + esc(p.title || p.role) + '</small></div>').join("");
}
function drawCard(item) {
  const c = item.card;
  if (!c) return '<div class="card"><h3>卡片</h3><div class="lines">模板 ' + esc(item.templateId) + '（沙盒无法渲染）</div></div>';
  const buttons = c.buttons.map((b) => b.form && b.form.length
    ? '<form data-track="' + esc(item.outTrackId) + '" data-params="' + esc(JSON.stringify(b.params)) + '">' +
        b.form.map((f) => '<input name="' + esc(f.name) + '" placeholder="' + esc(f.label) + '"' + (f.required ? " required" : "") + '>').join("") +
        '<button type="submit" class="secondary" data-testid="button-' + esc(b.id) + '">' + esc(b.label) + '</button></form>'
    : '<button data-track="' + esc(item.outTrackId) + '" data-params="' + esc(JSON.stringify(b.params)) + '" data-testid="button-' + esc(b.id) + '">' + esc(b.label) + '</button>').join("");
  return '<div class="card" data-testid="card" data-track="' + esc(item.outTrackId) + '"><h3>' + esc(c.title) + '</h3>' +
    '<div class="lines">' + c.lines.map(md).join("\\n") + '</div>' +
    (c.status ? '<div class="status" data-testid="card-status">' + esc(c.status.label) + '</div>' : '') +
    (buttons ? '<div class="buttons">' + buttons + '</div>' : '') + '</div>';
}
function drawChat(items) {
  if (!items.length) { $("chat").innerHTML = '<div class="empty">还没有消息</div>'; return; }
  $("chat").innerHTML = items.map((i) => i.kind === "card" ? drawCard(i)
    : i.kind === "image" ? '<div class="msg bot image" data-testid="msg-image"><img alt="图片" src="' + esc(i.src) + '"></div>'
    : '<div class="msg ' + (i.from === "me" ? "me" : "bot") + '" data-testid="msg-' + i.from + '">' + esc(i.title ? i.title + "\\n" + i.text : i.text) + '</div>').join("");
  $("chat").scrollTop = $("chat").scrollHeight;
}
async function refresh() {
  if (!current) return;
  try {
    const { items } = await api("/sandbox/api/conversation/" + encodeURIComponent(current.userId));
    const json = JSON.stringify(items);
    if (json !== lastJson) { lastJson = json; drawChat(items); }
  } catch (e) { $("notice").textContent = e.message; }
}
async function click(track, params) {
  $("notice").textContent = "";
  try {
    const r = await api("/sandbox/api/click", { userId: current.userId, outTrackId: track, params });
    if (r.status !== "applied") $("notice").textContent = r.status === "timeout" ? "机器人没有在 2 秒内响应" : (r.reason || "机器人没有更新卡片");
  } catch (e) { $("notice").textContent = e.message; }
  await refresh();
}
$("staff").addEventListener("click", (e) => {
  const el = e.target.closest(".person");
  if (!el) return;
  current = people.find((p) => p.userId === el.dataset.user);
  $("who").textContent = current.name + "（" + current.dept + " · " + (current.title || current.role) + "）";
  lastJson = ""; drawStaff(); refresh();
});
$("chat").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-track]");
  if (b) click(b.dataset.track, JSON.parse(b.dataset.params));
});
$("chat").addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target;
  click(f.dataset.track, Object.assign(JSON.parse(f.dataset.params), Object.fromEntries(new FormData(f))));
});
async function send() {
  const text = $("text").value.trim();
  if (!text || !current) return;
  $("notice").textContent = "";
  try { await api("/sandbox/api/messages", { userId: current.userId, text }); $("text").value = ""; }
  catch (e) { $("notice").textContent = e.message; }
  setTimeout(refresh, 150);
}
$("send").addEventListener("click", send);
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter") send(); });
$("filter").addEventListener("input", drawStaff);
(async () => {
  const load = async () => { people = (await api("/sandbox/api/staff")).staff; drawStaff(); if (!people.length) setTimeout(load, 1000); };
  await load();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
