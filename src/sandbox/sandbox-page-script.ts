/**
 * The sandbox page's script (see sandbox-page.ts), kept apart so each file stays readable. It is a string, not
 * compiled code: no backticks or template placeholders inside, and regex backslashes doubled.
 */
export const SANDBOX_SCRIPT = `
const $ = (id) => document.getElementById(id);
let people = [], current = null, lastJson = "", state = null, busy = false;
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
// Card text is DingTalk markdown; the sandbox draws the bold it uses (after escaping, so nothing else gets in).
const md = (s) => esc(s).replace(/\\*\\*(.+?)\\*\\*/g, "<b>$1</b>");
// Bot markdown messages also carry links (the digest's 打开看板): http(s) only, opened in a new tab.
const mdLinks = (s) => md(s).replace(/\\[([^\\]]+)\\]\\((https?:[^)\\s]+)\\)/g, '<a href="$2" target="_blank" rel="noopener" data-testid="link">$1</a>');
async function api(path, body) {
  const res = await fetch(path, body ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {});
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error;
    throw new Error(typeof e === "string" ? e : e && e.message ? e.message : "操作失败（" + res.status + "），请刷新页面后重试");
  }
  return data;
}

/* ---- the tour: shown on the first visit, remembered once skipped or finished ---- */
const TOUR_KEY = "sandbox-tour-done";
const TOUR = [
  ["这是一个模拟的钉钉组织", "150 名员工、2026 年 1.8 亿的销售计划。机器人和真实钉钉里一样发消息和卡片；你可以以任何人的身份查看 TA 的聊天、点卡片按钮、回复机器人。"],
  ["第一步：发布目标", "点上方「发布目标」：计划拆到每个人，每位负责人收到一张目标卡片，请 TA 确认或提出异议。"],
  ["第二步：选一个角色", "「我是客户经理」「我是区域经理」「我是销售总监」会打开一位合适的员工，并提示可以试什么：确认目标、在聊天里汇报进度、审批调整、看周报。"],
  ["第三步：拨动业务时钟", "「下一天」「到周五16:00」「到下周一12:00」「跳过一周」让定时任务像真实那样运行：进度提醒、催报、评估、升级、周报。「模拟团队」让其他人像真实团队一样填报，有人迟报、有人不报、有人提异议。"],
  ["第四步：看周报", "每周一中午评估之后，销售总监和区域经理在下午收到带图表的周报和数据看板链接（点「我是销售总监」）。随时可点「导览」再看一遍。"],
];
let tourStep = 0;
function drawTour() {
  const [title, text] = TOUR[tourStep];
  $("tour-step").textContent = (tourStep + 1) + " / " + TOUR.length;
  $("tour-title").textContent = title;
  $("tour-text").textContent = text;
  $("tour-back").hidden = tourStep === 0;
  $("tour-next").textContent = tourStep === TOUR.length - 1 ? "开始体验" : "下一步";
}
function openTour() { tourStep = 0; drawTour(); $("tour").hidden = false; }
function closeTour() {
  $("tour").hidden = true;
  try { localStorage.setItem(TOUR_KEY, "1"); } catch {}
}
$("tour-next").addEventListener("click", () => { if (tourStep === TOUR.length - 1) closeTour(); else { tourStep++; drawTour(); } });
$("tour-back").addEventListener("click", () => { if (tourStep > 0) { tourStep--; drawTour(); } });
$("tour-skip").addEventListener("click", closeTour);
$("tour-open").addEventListener("click", openTour);
let seen = false;
try { seen = localStorage.getItem(TOUR_KEY) === "1"; } catch {}
if (!seen) openTour();

/* ---- the control bar ---- */
const JOB_NAMES = {
  "weekly-prompt": "周报提醒", "monthly-prompt": "月报提醒", "quarterly-prompt": "季报提醒",
  "progress-reminder": "周报催报", "monthly-progress-reminder": "月报催报", "quarterly-progress-reminder": "季报催报",
  "confirm-reminder": "目标确认催办", "evaluate": "评估", "escalation-overdue": "升级超时上报",
  "approval-reminder": "审批催办", "weekly-digest": "周报摘要",
};
const FAILED = /fail|error/i;
function result(text, error) {
  $("result").textContent = text;
  $("result").className = error ? "error" : "";
}
function drawState() {
  if (!state) return;
  $("clock").textContent = state.nowText;
  const p = state.plan;
  $("plan").textContent = p ? p.name + (state.published ? "（已发布）" : "（草稿，未发布）") : "演示公司正在加载…";
  $("publish").disabled = !p || state.published;
  $("publish").textContent = state.published ? "目标已发布" : "发布目标";
}
async function loadState() {
  try { state = await api("/sandbox/api/state"); drawState(); }
  catch (e) { result(e.message, true); }
}
async function act(fn) {
  if (busy) return;
  busy = true;
  for (const b of $("bar").querySelectorAll("button")) b.disabled = true;
  result("正在处理…");
  try { result(await fn()); } catch (e) { result(e.message, true); }
  for (const b of $("bar").querySelectorAll("button")) b.disabled = false;
  busy = false;
  await loadState();
  await refresh();
}
$("publish").addEventListener("click", () => act(async () => {
  const r = await api("/sandbox/api/publish", {});
  return "已发布：" + r.cards + " 张目标卡片已发出，每位负责人在聊天里看到自己的目标，可点「确认」或「有异议」。点「我是客户经理」看看 TA 收到的卡片。";
}));
$("simulate").addEventListener("click", () => act(async () => {
  const r = await api("/sandbox/api/simulate", {});
  return "模拟团队：" + r.reported + " 人已填报（其中 " + r.late + " 人迟报），" + r.silent + " 人未填报；" +
    r.disputes + " 条异议、" + r.changeRequests + " 条调整申请；" + r.confirmed + " 人确认了目标。" +
    "接着拨动时钟到「到下周一12:00」看评估和升级。";
}));
for (const b of $("bar").querySelectorAll("button[data-to]")) {
  b.addEventListener("click", () => act(async () => {
    const r = await api("/sandbox/api/clock", { to: b.dataset.to });
    const names = [];
    for (const j of r.ran) {
      const name = (JOB_NAMES[j.job] || j.job) + (FAILED.test(String(j.outcome)) ? "（失败" + (j.error ? "：" + j.error : "") + "）" : "");
      if (!names.includes(name)) names.push(name);
    }
    return "业务时间已到 " + r.nowText + "。" + (names.length ? "已运行：" + names.join("、") : "这段时间没有到点的定时任务") + "。";
  }));
}
const ROLE_NAMES = { rep: "客户经理", manager: "区域经理", director: "销售总监" };
for (const b of $("bar").querySelectorAll("button[data-role]")) {
  b.addEventListener("click", async () => {
    if (!state) await loadState();
    const role = state && state.roles && state.roles[b.dataset.role];
    if (!role) { result("演示公司还在加载，请稍后再点", true); return; }
    select(role.userId, role.name);
    $("hint").textContent = "提示（" + ROLE_NAMES[b.dataset.role] + "）：" + role.hint;
  });
}

/* ---- the staff list and a person's chat ---- */
function drawStaff() {
  const q = $("filter").value.trim();
  $("staff").innerHTML = people.filter((p) => !q || [p.name, p.dept, p.title, p.userId].join(" ").includes(q))
    .map((p) => '<div class="person' + (current && current.userId === p.userId ? " active" : "") + '" data-user="' + esc(p.userId) + '">' +
      esc(p.name) + '<small>' + esc(p.dept) + ' · ' + esc(p.title || p.role) + '</small></div>').join("");
}
function select(userId, name) {
  current = people.find((p) => p.userId === userId) || { userId, name, dept: "", title: "", role: "" };
  $("who").textContent = current.name + (current.dept ? "（" + current.dept + " · " + (current.title || current.role) + "）" : "");
  $("hint").textContent = "";
  document.body.classList.remove("picking");
  lastJson = ""; drawStaff(); refresh();
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
function drawMessage(i) {
  if (i.kind === "image") return '<div class="msg bot image" data-testid="msg-image"><img alt="图片" src="' + esc(i.src) + '"></div>';
  const body = i.kind === "markdown" ? mdLinks((i.title ? i.title + "\\n" : "") + i.text) : esc(i.title ? i.title + "\\n" + i.text : i.text);
  return '<div class="msg ' + (i.from === "me" ? "me" : "bot") + '" data-testid="msg-' + i.from + '">' + body + '</div>';
}
function drawChat(items) {
  if (!items.length) { $("chat").innerHTML = '<div class="empty">还没有消息。目标发布后，负责人会收到目标卡片</div>'; return; }
  $("chat").innerHTML = items.map((i) => i.kind === "card" ? drawCard(i) : drawMessage(i)).join("");
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
    if (r.status !== "applied") $("notice").textContent = r.status === "timeout" ? "机器人没有在 2 秒内响应，请稍后再点" : (r.reason || "机器人没有更新卡片");
  } catch (e) { $("notice").textContent = e.message; }
  await refresh();
}
$("staff").addEventListener("click", (e) => {
  const el = e.target.closest(".person");
  if (el) select(el.dataset.user);
});
$("pick").addEventListener("click", () => document.body.classList.toggle("picking"));
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
  if (!text) return;
  if (!current) { $("notice").textContent = "请先选择一个角色或一名员工"; return; }
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
  await Promise.all([load(), loadState()]);
  setInterval(refresh, 1000);
  // The demo company is built in the background after start: ask often until its plan is there.
  const poll = () => { if (!busy) loadState(); setTimeout(poll, state && state.plan ? 5000 : 1000); };
  setTimeout(poll, 1000);
})();
`;
