/* Chinese for Streamlit's own widget texts (button labels, hints, placeholders, tooltips, aria
 * labels) that the app cannot set through Streamlit's API. Loaded by every page from this server
 * (web/front_end.py injects it into Streamlit's index.html); it fetches nothing.
 *
 * Only whole texts and attribute values listed here are replaced, so what users typed is never
 * touched. A MutationObserver applies the table to everything React adds or changes later.
 */
(function () {
  "use strict";
  var EXACT = {
    // page frame
    "Skip to main content": "跳到主要内容",
    "Sidebar": "侧边栏",
    "Expand sidebar": "展开菜单",
    "Collapse sidebar": "收起菜单",
    "Main menu": "菜单",
    "Print": "打印",
    "Close": "关闭",
    "Running...": "正在处理…",
    "Stop": "停止",
    "Rerun": "刷新",
    "Please wait...": "请稍候…",
    "Connecting": "正在连接",
    "Connection error": "连接中断",
    "Connection timed out.": "连接超时。",
    "Connection lost. Please wait for the app to reconnect, then try again.": "连接已断开，请等待页面重新连接后再试。",
    "Is Streamlit still running? If you accidentally stopped Streamlit, just restart it in your terminal:":
      "暂时无法连接服务器，请稍后刷新页面重试。",
    "You need to enable JavaScript to run this app.": "请在浏览器中启用JavaScript后使用本系统。",
    // an error the page did not handle (client.showErrorDetails = "none": no details are sent to the browser)
    "This app has encountered an error. The original error message is redacted to prevent data leaks. Full error details have been recorded in the logs (if you're on Streamlit Cloud, click on 'Manage app' in the lower right of your app).":
      "抱歉，系统处理时出现错误，错误已记录，我们会尽快处理。请刷新页面后重试；您已填写并保存的内容不会丢失。" +
      "如问题持续，请拨打办事指南中的咨询电话。",
    "Copy to clipboard": "复制",
    "Link to heading": "本节链接",
    "progress": "进度",
    "Scroll tabs right": "向右滚动标签页",
    "Scroll tabs left": "向左滚动标签页",
    // text input, text area, chat input
    "Press Enter to submit form": "按回车键提交",
    "Press Enter to apply": "按回车键确认",
    "Press Ctrl+Enter to submit form": "按Ctrl+回车键提交",
    "Press ⌘+Enter to submit form": "按⌘+回车键提交",
    "Press Ctrl+Enter to apply": "按Ctrl+回车键确认",
    "Press ⌘+Enter to apply": "按⌘+回车键确认",
    "Show password": "显示密码",
    "Hide password": "隐藏密码",
    "Clear entry": "清除",
    "Invalid input.": "输入无效。",
    "Send message": "发送",
    "Chat message from assistant": "办理助手的消息",
    "Chat message from user": "您的消息",
    "Increment": "增加",
    "Decrement": "减少",
    // file uploader
    "Upload": "选择文件",
    "Browse files": "选择文件",
    "Add files": "添加文件",
    "Drag and drop a file here": "将文件拖放到此处，或点击“选择文件”",
    "Drag and drop files here": "将文件拖放到此处，或点击“选择文件”",
    "Drag and drop file here": "将文件拖放到此处，或点击“选择文件”",
    "Upload failed": "上传失败",
    "Click to retry upload": "点击重新上传",
    "File size is too small.": "文件太小。",
    "Only one file is allowed.": "只能上传一个文件。",
    "Unexpected error. Please try again.": "出现意外错误，请重试。",
    "Files": "文件",
    "file upload": "上传文件",
    // selectbox, multiselect
    "Choose an option": "请选择",
    "Choose options": "请选择",
    "Select...": "请选择…",
    "Open": "展开选项",
    "Clear value": "清除",
    "Clear all": "全部清除",
    "Select all": "全选",
    "No results": "没有匹配的选项",
    "No options": "没有选项",
    "Selected values": "已选",
    "Dismiss": "关闭",
    // date input
    "yyyy": "年",
    "mm": "月",
    "dd": "日",
    "Choose date": "选择日期",
    "Choose date range": "选择日期范围",
    "Clear date": "清除日期",
    "Clear dates": "清除日期",
    "Date range": "日期范围",
    "Quick select a date range": "快速选择日期范围",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.": "用方向键选择日期，回车键确认，Esc键关闭。",
    "Previous month": "上个月",
    "Next month": "下个月",
    "Past Week": "最近一周",
    "Past Month": "最近一个月",
    "Past 3 Months": "最近三个月",
    "Past 6 Months": "最近六个月",
    "Past Year": "最近一年",
    "Past 2 Years": "最近两年",
    // tables (dataframe, data editor) and their toolbar
    "Add row": "添加一行",
    "Delete row(s)": "删除所选行",
    "Download as CSV": "下载为CSV文件",
    "Search": "在表格中搜索",
    "Close Search": "关闭表格搜索",
    "Next Result": "下一个",
    "Previous Result": "上一个",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Exit fullscreen": "退出全屏",
    "Show/hide columns": "显示/隐藏列",
    "Clear selection": "取消选择",
    "Sort ascending": "升序",
    "Sort descending": "降序",
    "Hide column": "隐藏此列",
    "Pin column": "固定此列",
    "Unpin column": "取消固定",
    "Autosize": "自动列宽",
    "Format": "格式",
    "Copy column name": "复制列名",
    "Loading...": "正在加载…",
    "No data": "无数据",
    "Empty": "空",
    // charts
    "Show data": "查看数据",
    "Download as PNG": "下载为PNG图片",
    "Download as SVG": "下载为SVG图片",
    "Vega visualization": "统计图",
    "Copy Vega-Lite spec": "复制图表定义"
  };
  var PATTERNS = [
    [/^(\d+(?:\.\d+)?)\s?([KMG]B) per file$/, function (m, n, u) { return "每个文件不超过" + n + u; }],
    [/^File must be (\d+(?:\.\d+)?)\s?([KMG]B) or smaller\.$/, function (m, n, u) { return "文件不能超过" + n + u + "。"; }],
    [/^.* files are not allowed\.$/, function () { return "不支持此类型的文件。"; }],
    [/^Remove (.+)$/, function (m, what) { return "移除 " + what; }],
    [/^(\d+) options? available\.?$/, function (m, n) { return "共" + n + "个选项。"; }],
    [/^(\d+) results? available\.?$/, function (m, n) { return "共" + n + "个结果。"; }],
    [/^(.+), selected\.?$/, function (m, what) { return "已选择：" + what; }],
    [/^Help for (.+)$/, function (m, what) { return "“" + what + "”的说明"; }],
    [/^Cancel upload of (.+)$/, function (m, what) { return "取消上传 " + what; }],
    [/^Select (\d+) matches$/, function (m, n) { return "选择全部" + n + "项"; }],
    [/^Choose date range, (.+)$/, function (m, what) { return "选择日期范围，" + what; }],
    [/^Choose date, (.+)$/, function (m, what) { return "选择日期，" + what; }],
    [/^(\d+) – [A-Z][a-z]+$/, function (m, n) { return n + "月"; }],
    [/^(year|month|day), (.+)$/, function (m, part, what) {
      return translate(what) + "：" + ({ year: "年", month: "月", day: "日" })[part];
    }],
    [/^(.+) start date$/, function (m, what) { return what + "（开始日期）"; }],
    [/^(.+) end date$/, function (m, what) { return what + "（结束日期）"; }]
  ];
  var ATTRIBUTES = ["aria-label", "title", "placeholder", "alt", "aria-description", "aria-valuetext"];
  var LATIN = /[A-Za-z]/;
  // What the app itself writes (text, Markdown, code, file names): never translated.
  var KEEP = '[data-testid="stMarkdownContainer"], [data-testid="stText"], [data-testid="stCode"], ' +
    '[data-testid="stFileChipName"], [data-testid="stCaptionContainer"]';

  function translate(text) {
    if (!LATIN.test(text)) return text;
    var trimmed = text.trim();
    if (Object.prototype.hasOwnProperty.call(EXACT, trimmed)) return EXACT[trimmed];
    for (var i = 0; i < PATTERNS.length; i++) {
      var found = trimmed.match(PATTERNS[i][0]);
      if (found) return PATTERNS[i][1].apply(null, found);
    }
    return text;
  }

  function fixText(node) {
    var value = node.nodeValue;
    if (!value || !LATIN.test(value)) return;
    var parent = node.parentElement;
    var kept = parent && parent.closest(KEEP);
    if (kept && !kept.closest("button")) return;  // a button's label is drawn as Markdown too
    var done = translate(value);
    if (done !== value) node.nodeValue = done;
  }

  function fixAttributes(element) {
    for (var i = 0; i < ATTRIBUTES.length; i++) {
      var value = element.getAttribute(ATTRIBUTES[i]);
      if (value && LATIN.test(value)) {
        var done = translate(value);
        if (done !== value) element.setAttribute(ATTRIBUTES[i], done);
      }
    }
  }

  function fixTree(root) {
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixAttributes(root);
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      if (node.nodeType === Node.TEXT_NODE) fixText(node); else fixAttributes(node);
    }
  }

  var observer = new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var record = records[i];
      if (record.type === "childList") {
        for (var j = 0; j < record.addedNodes.length; j++) fixTree(record.addedNodes[j]);
      } else if (record.type === "characterData") {
        fixText(record.target);
      } else if (record.type === "attributes") {
        fixAttributes(record.target);
      }
    }
  });
  document.documentElement.setAttribute("lang", "zh-CN");
  observer.observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES
  });
  if (document.body) fixTree(document.body);
  window.__zhTranslate = translate;  // for tests: the table as the page applies it
})();
