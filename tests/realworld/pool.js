// pool.js - the node.js case of the realworld suite (node.sh): work for
// libuv's thread pool in parallel (crypto.pbkdf2, fs writes and reads,
// zlib), then a check of every result.  Every line it prints is
// deterministic.  usage: node pool.js DIR
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const util = require('util');
const zlib = require('zlib');

const pbkdf2 = util.promisify(crypto.pbkdf2);
const gzip = util.promisify(zlib.gzip);
const gunzip = util.promisify(zlib.gunzip);

async function main() {
	const dir = process.argv[2];
	const keys = await Promise.all([...Array(16).keys()].map(
		(i) => pbkdf2('password' + i, 'salt', 20000, 32, 'sha256')));
	const h = crypto.createHash('sha256');
	keys.forEach((k) => h.update(k));
	console.log('pbkdf2 x16:', h.digest('hex').slice(0, 32));

	const names = [...Array(64).keys()].map((i) => path.join(dir, 'f' + i));
	const body = (i) => Buffer.from(('line ' + i + ' of the node case\n').repeat(2000 + i));
	await Promise.all(names.map((n, i) => fs.promises.writeFile(n, body(i))));
	const read = await Promise.all(names.map((n) => fs.promises.readFile(n)));
	read.forEach((b, i) => {
		if (!b.equals(body(i)))
			throw new Error('file ' + i + ' read back wrong');
	});
	const zipped = await Promise.all(read.map((b) => gzip(b)));
	const back = await Promise.all(zipped.map((z) => gunzip(z)));
	back.forEach((b, i) => {
		if (!b.equals(read[i]))
			throw new Error('gzip round trip ' + i);
	});
	const stats = await Promise.all(names.map((n) => fs.promises.stat(n)));
	console.log('files:', names.length, 'bytes:', stats.reduce((s, st) => s + st.size, 0));
	console.log('gzip bytes:', zipped.reduce((s, z) => s + z.length, 0));
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
