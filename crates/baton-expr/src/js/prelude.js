// Baton determinism prelude: runs before every script.
(function () {
  "use strict";
  // Math.random: a fixed-seed xorshift32 generator, so the same script with the same input
  // always produces the same numbers.
  var seed = 0x2545f491;
  Math.random = function random() {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  // Date: "now" is the Unix epoch. Date.now() === 0, new Date() is 1970-01-01T00:00:00Z and
  // Date() returns its string; dates built from explicit arguments work as usual.
  var RealDate = Date;
  var FixedDate = function Date() {
    if (!new.target) {
      return new RealDate(0).toString();
    }
    if (arguments.length === 0) {
      return new RealDate(0);
    }
    return new (Function.prototype.bind.apply(RealDate, [null].concat(Array.prototype.slice.call(arguments))))();
  };
  FixedDate.prototype = RealDate.prototype;
  FixedDate.now = function now() { return 0; };
  FixedDate.parse = RealDate.parse;
  FixedDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, "constructor", {
    value: FixedDate, writable: true, configurable: true, enumerable: false
  });
  globalThis.Date = FixedDate;
})();
