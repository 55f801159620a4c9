#!/usr/bin/env node
// metalfrr command line: offline commands and in-cluster roles.
console.log('metalfrr: under construction');
