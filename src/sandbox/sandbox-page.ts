import { SANDBOX_SCRIPT } from "./sandbox-page-script.ts";

/**
 * The sandbox page: a short tour, a control bar (publish the demo plan, move the business clock, simulate the
 * team, role shortcuts), and any employee's chat with the bot and the cards they got (drawn by the server from
 * the card definitions), where one taps buttons and types messages. Plain HTML and a little script, so it needs
 * no build step; it polls the sandbox API. On a phone (≤ 700 px) the staff list folds away behind 选择员工 and
 * the page scrolls as one column.
 */
export const SANDBOX_PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>目标责任落实 · 沙盒</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.5 -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f2f3f5; color: #1f2329; display: flex; flex-direction: column; height: 100vh; }
  #bar { background: #fff; border-bottom: 1px solid #e5e6eb; padding: 8px 12px; display: flex; flex-direction: column; gap: 6px; }
  #bar .row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
  #bar .label { color: #86909c; font-size: 12px; }
  #bar button { padding: 4px 10px; font-size: 13px; }
  #plan { font-weight: 600; margin-right: auto; }
  #clock { font-weight: 600; color: #3370ff; margin-right: 4px; }
  #result { min-height: 1.5em; font-size: 13px; color: #1d2129; background: #e8ffea; border-radius: 6px; padding: 4px 8px; }
  #result:empty { display: none; }
  #result.error { background: #ffece8; color: #cb2634; }
  #layout { flex: 1; display: flex; min-height: 0; }
  aside { width: 280px; background: #fff; border-right: 1px solid #e5e6eb; display: flex; flex-direction: column; }
  aside header { padding: 12px; border-bottom: 1px solid #e5e6eb; }
  aside h1 { font-size: 15px; margin: 0 0 8px; }
  aside input { width: 100%; padding: 6px 8px; border: 1px solid #c9cdd4; border-radius: 6px; }
  #staff { overflow-y: auto; flex: 1; }
  .person { padding: 8px 12px; cursor: pointer; border-bottom: 1px solid #f2f3f5; }
  .person:hover, .person.active { background: #e8f3ff; }
  .person small { color: #86909c; display: block; }
  main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  main > header { background: #fff; padding: 10px 16px; border-bottom: 1px solid #e5e6eb; font-weight: 600; display: flex; gap: 8px; align-items: center; }
  #pick { display: none; }
  #hint { margin: 8px 16px 0; padding: 8px 12px; background: #fff7e8; border: 1px solid #ffcf8b; border-radius: 8px; white-space: pre-wrap; }
  #hint:empty { display: none; }
  #chat { flex: 1; overflow-y: auto; padding: 16px; }
  .msg { max-width: 560px; margin: 8px 0; padding: 8px 12px; border-radius: 8px; background: #fff; white-space: pre-wrap; overflow-wrap: anywhere; }
  .msg.me { margin-left: auto; background: #3370ff; color: #fff; }
  .msg.image { padding: 4px; }
  .msg.image img { display: block; max-width: 100%; border-radius: 6px; }
  .msg a { color: #3370ff; }
  .card { max-width: 560px; margin: 8px 0; background: #fff; border-radius: 8px; border: 1px solid #e5e6eb; overflow: hidden; }
  .card h3 { margin: 0; padding: 10px 12px; font-size: 15px; background: #f7f8fa; border-bottom: 1px solid #e5e6eb; }
  .card .lines { padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .card .status { padding: 6px 12px; color: #00b42a; font-weight: 600; }
  .card .buttons { padding: 8px 12px; display: flex; flex-wrap: wrap; gap: 8px; border-top: 1px solid #f2f3f5; }
  .card form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
  .card form input { padding: 4px 6px; border: 1px solid #c9cdd4; border-radius: 4px; width: 120px; }
  button { padding: 6px 14px; border-radius: 6px; border: 1px solid #3370ff; background: #3370ff; color: #fff; cursor: pointer; font: inherit; }
  button.secondary { background: #fff; color: #3370ff; }
  button:disabled { opacity: .5; cursor: default; }
  footer { display: flex; gap: 8px; padding: 12px 16px; background: #fff; border-top: 1px solid #e5e6eb; }
  footer input { flex: 1; min-width: 0; padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 6px; }
  #notice { color: #f53f3f; padding: 0 16px; min-height: 1.5em; }
  .empty { color: #86909c; text-align: center; margin-top: 40px; }
  #tour { position: fixed; inset: 0; background: rgba(0,0,0,.45); display: flex; align-items: center; justify-content: center; padding: 16px; z-index: 10; }
  #tour[hidden] { display: none; }
  #tour .box { background: #fff; border-radius: 12px; max-width: 440px; width: 100%; padding: 20px; }
  #tour h2 { margin: 0 0 4px; font-size: 17px; }
  #tour .step { color: #86909c; font-size: 12px; }
  #tour p { white-space: pre-wrap; margin: 12px 0 16px; }
  #tour .actions { display: flex; gap: 8px; justify-content: flex-end; }
  #tour .actions .skip { margin-right: auto; }
  @media (max-width: 700px) {
    body { display: block; height: auto; }
    #layout { display: block; }
    aside { width: auto; border-right: 0; display: none; }
    body.picking aside { display: flex; }
    body.picking #staff { max-height: 50vh; }
    #pick { display: inline-block; }
    #chat { overflow: visible; padding: 8px 12px; }
    footer { position: sticky; bottom: 0; padding: 8px 12px; }
  }
</style>
</head>
<body>
<section id="bar" data-testid="bar">
  <div class="row"><span id="plan" data-testid="plan">正在加载演示公司…</span>
    <button id="publish" data-testid="publish">发布目标</button>
    <button id="simulate" class="secondary" data-testid="simulate">模拟团队</button>
    <button id="tour-open" class="secondary" data-testid="tour-open">导览</button></div>
  <div class="row"><span class="label">业务时间</span><span id="clock" data-testid="clock">…</span>
    <button class="secondary" data-to="next-day" data-testid="clock-next-day">下一天</button>
    <button class="secondary" data-to="friday-16" data-testid="clock-friday-16">到周五16:00</button>
    <button class="secondary" data-to="monday-12" data-testid="clock-monday-12">到下周一12:00</button>
    <button class="secondary" data-to="next-week" data-testid="clock-next-week">跳过一周</button></div>
  <div class="row"><span class="label">体验角色</span>
    <button class="secondary" data-role="rep" data-testid="role-rep">我是客户经理</button>
    <button class="secondary" data-role="manager" data-testid="role-manager">我是区域经理</button>
    <button class="secondary" data-role="director" data-testid="role-director">我是销售总监</button></div>
  <div id="result" data-testid="result" aria-live="polite"></div>
</section>
<div id="layout">
<aside>
  <header><h1>以任意员工身份体验</h1><input id="filter" placeholder="搜索姓名、部门、职位" data-testid="filter"></header>
  <div id="staff" data-testid="staff"></div>
</aside>
<main>
  <header><button id="pick" class="secondary" data-testid="pick">选择员工</button><span id="who" data-testid="who">请选择一个角色或一名员工</span></header>
  <div id="hint" data-testid="hint"></div>
  <div id="chat" data-testid="chat"><div class="empty">点上方「我是客户经理」等角色，或选择一名员工，查看 TA 在钉钉里收到的消息和卡片</div></div>
  <div id="notice" data-testid="notice"></div>
  <footer><input id="text" placeholder="像在钉钉里一样回复机器人，例如：本周完成35万，新客户2家" data-testid="text"><button id="send" data-testid="send">发送</button></footer>
</main>
</div>
<div id="tour" data-testid="tour" role="dialog" aria-modal="true" aria-labelledby="tour-title" hidden>
  <div class="box">
    <div class="step" id="tour-step" data-testid="tour-step"></div>
    <h2 id="tour-title" data-testid="tour-title"></h2>
    <p id="tour-text" data-testid="tour-text"></p>
    <div class="actions">
      <button class="secondary skip" id="tour-skip" data-testid="tour-skip">跳过导览</button>
      <button class="secondary" id="tour-back" data-testid="tour-back">上一步</button>
      <button id="tour-next" data-testid="tour-next">下一步</button>
    </div>
  </div>
</div>
<script>${SANDBOX_SCRIPT}</script>
</body>
</html>
`;
