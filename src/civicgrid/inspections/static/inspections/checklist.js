/* Show a question only when its simple relevance holds (${item} = 'fail'
   and the like), as ODK Collect does; the server checks every rule again on
   submit, so anything this does not understand simply stays shown. */
(function () {
  "use strict";
  var simple = /^\s*\(?\s*\$\{(\w+)\}\s*(!?=)\s*'([^']*)'\s*\)?\s*$/;
  var cards = document.querySelectorAll("[data-relevant]");
  var rules = [];
  cards.forEach(function (card) {
    var match = simple.exec(card.getAttribute("data-relevant"));
    if (match) rules.push({ card: card, name: match[1], op: match[2], value: match[3] });
  });
  function answer(name) {
    var chosen = document.querySelector("input[name='q_" + name + "']:checked");
    if (chosen) return chosen.value;
    var field = document.querySelector("[name='q_" + name + "']");
    return field && field.type !== "radio" ? field.value : "";
  }
  function apply() {
    rules.forEach(function (rule) {
      var same = answer(rule.name) === rule.value;
      rule.card.hidden = rule.op === "=" ? !same : same;
    });
  }
  document.addEventListener("change", apply);
  apply();
})();
