extension Assets {
    /// explorer.js: checks that run in the visitor's browser. The pages work without it. It only
    /// ever sets `textContent` (never `innerHTML`), and it sends nothing but leaf hashes and tree
    /// sizes to the server: a pasted receipt's entry stays in the browser.
    static let javaScript = #"""
        // Tamga explorer: in-browser Merkle checks (RFC 9162) with WebCrypto SHA-256.
        'use strict';
        (() => {
          const AUDIT_COMMAND = 'tamga-audit receipt FILE --genesis genesis.json';

          // ---- bytes and base64 -------------------------------------------------------------

          /** Standard base64 or base64url, padding optional; null unless canonical. */
          function decodeBase64(text) {
            let s = String(text).trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
            if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) return null;
            const padded = s + '='.repeat((4 - (s.length % 4)) % 4);
            let binary;
            try { binary = atob(padded); } catch (e) { return null; }
            const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
            return encodeBase64(bytes) === padded ? bytes : null;
          }
          function encodeBase64(bytes) {
            let binary = '';
            for (const b of bytes) binary += String.fromCharCode(b);
            return btoa(binary);
          }
          const encodeBase64URL = (bytes) => encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
          function hash32(text, what) {
            const bytes = decodeBase64(text);
            if (!bytes || bytes.length !== 32) throw new Error(what + ' is not a 32-byte hash in base64');
            return bytes;
          }
          function equalBytes(a, b) {
            if (a.length !== b.length) return false;
            let diff = 0;
            for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
            return diff === 0;
          }

          // ---- RFC 9162 hashing and proofs --------------------------------------------------

          async function sha256(...parts) {
            const total = parts.reduce((n, p) => n + p.length, 0);
            const data = new Uint8Array(total);
            let offset = 0;
            for (const p of parts) { data.set(p, offset); offset += p.length; }
            return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
          }
          const leafHash = (entry) => sha256(Uint8Array.of(0), entry);
          const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);
          const isOdd = (n) => (n & 1n) === 1n;

          /** RFC 9162 section 2.1.3.2: the root an inclusion proof leads to, or an Error. */
          async function rootFromInclusion(index, size, leaf, path) {
            if (index >= size) throw new Error('leaf index ' + index + ' is not below the tree size ' + size);
            let fn = index, sn = size - 1n, r = leaf;
            for (const p of path) {
              if (sn === 0n) throw new Error('the inclusion proof is longer than the tree needs');
              if (isOdd(fn) || fn === sn) {
                r = await nodeHash(p, r);
                if (!isOdd(fn)) { while (!isOdd(fn) && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
              } else {
                r = await nodeHash(r, p);
              }
              fn >>= 1n; sn >>= 1n;
            }
            if (sn !== 0n) throw new Error('the inclusion proof is shorter than the tree needs');
            return r;
          }

          /** RFC 9162 section 2.1.4.2: throws unless the tree (size1, root1) is a prefix of (size2, root2). */
          async function verifyConsistency(size1, size2, root1, root2, path) {
            if (size1 === 0n || size1 > size2) throw new Error('no consistency proof from size ' + size1 + ' to ' + size2);
            if (size1 === size2) {
              if (path.length !== 0 || !equalBytes(root1, root2)) throw new Error('same tree size, different roots: the log forked');
              return;
            }
            if (path.length === 0) throw new Error('the consistency proof is empty');
            if ((size1 & (size1 - 1n)) === 0n) path = [root1, ...path];
            let fn = size1 - 1n, sn = size2 - 1n;
            while (isOdd(fn)) { fn >>= 1n; sn >>= 1n; }
            let fr = path[0], sr = path[0];
            for (const c of path.slice(1)) {
              if (sn === 0n) throw new Error('the consistency proof is longer than the trees need');
              if (isOdd(fn) || fn === sn) {
                fr = await nodeHash(c, fr);
                sr = await nodeHash(c, sr);
                if (!isOdd(fn)) { while (!isOdd(fn) && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
              } else {
                sr = await nodeHash(sr, c);
              }
              fn >>= 1n; sn >>= 1n;
            }
            if (sn !== 0n) throw new Error('the consistency proof is shorter than the trees need');
            if (!equalBytes(fr, root1)) throw new Error('the consistency proof does not lead to the older root');
            if (!equalBytes(sr, root2)) throw new Error('the consistency proof does not lead to the newer root');
          }

          // ---- formats ----------------------------------------------------------------------

          function decimal(text, what) {
            if (!/^(0|[1-9][0-9]{0,19})$/.test(String(text))) throw new Error(what + ' is not a decimal number');
            const value = BigInt(text);
            if (value >= 1n << 63n) throw new Error(what + ' is too large');
            return value;
          }

          /** A C2SP checkpoint note: origin, size, root, optional extension lines, blank line, signatures. */
          function parseCheckpoint(note) {
            const blank = note.indexOf('\n\n');
            if (blank < 0) throw new Error('the checkpoint has no blank line before its signatures');
            const lines = note.slice(0, blank).split('\n');
            if (lines.length < 3 || lines[0] === '') throw new Error('a checkpoint starts with origin, size and root lines');
            return { origin: lines[0], size: decimal(lines[1], 'the checkpoint size'), root: hash32(lines[2], 'the checkpoint root') };
          }

          /** c2sp.org/tlog-proof@v1: header, extra, index, proof hashes, blank line, signed note. */
          function parseReceipt(text) {
            text = text.replace(/\r\n/g, '\n').replace(/^\s+/, '');
            const blank = text.indexOf('\n\n');
            if (blank < 0) throw new Error('a receipt has a blank line between its proof and its checkpoint');
            const lines = text.slice(0, blank).split('\n');
            if (lines[0] !== 'c2sp.org/tlog-proof@v1') throw new Error('a receipt starts with the line c2sp.org/tlog-proof@v1');
            if (lines.length < 3 || !lines[1].startsWith('extra ') || !lines[2].startsWith('index ')) {
              throw new Error('a receipt has an "extra <base64 entry>" line, then an "index <n>" line');
            }
            const entry = decodeBase64(lines[1].slice(6));
            if (!entry || entry.length === 0) throw new Error('the receipt\'s extra line is not base64 of an entry');
            const index = decimal(lines[2].slice(6), 'the receipt index');
            const proof = lines.slice(3).map((line, i) => hash32(line, 'proof hash ' + (i + 1)));
            const note = text.slice(blank + 2);
            return { entry, index, proof, note, checkpoint: parseCheckpoint(note) };
          }

          // ---- the log's JSON routes --------------------------------------------------------

          async function get(url, what) {
            const response = await fetch(url, { cache: 'no-store', credentials: 'omit' });
            if (!response.ok) {
              const error = new Error(what + ': the server answered ' + response.status);
              error.status = response.status;
              throw error;
            }
            return response;
          }
          /** The newest checkpoint: a witnessed log's /checkpoint lags while its witnesses cosign. */
          async function currentCheckpoint() {
            return parseCheckpoint(await (await get('/latest-checkpoint', 'the checkpoint')).text());
          }
          function count(value, what) {
            if (!Number.isSafeInteger(value) || value < 0) throw new Error(what + ' is not a whole number');
            return BigInt(value);
          }
          /** The inclusion proof of a leaf hash in the tree of `size`; null when the log has no such leaf. */
          async function inclusionProof(leaf, size) {
            let json;
            try {
              const url = '/proof/inclusion?hash=' + encodeBase64URL(leaf) + '&size=' + size;
              json = await (await get(url, 'the inclusion proof')).json();
            } catch (error) {
              if (error.status === 404) return null;
              throw error;
            }
            if (!equalBytes(hash32(json.leafHash, 'the proof\'s leafHash'), leaf)) throw new Error('the server sent a proof for another leaf');
            if (count(json.treeSize, 'treeSize') !== size) throw new Error('the server sent a proof for another tree size');
            if (!Array.isArray(json.hashes)) throw new Error('the proof has no hashes array');
            return { index: count(json.index, 'index'), hashes: json.hashes.map((h, i) => hash32(h, 'proof hash ' + (i + 1))) };
          }

          /** Checks that `leaf` is in the log's current checkpoint. Returns lines to show; throws with the reason. */
          async function checkLeaf(leaf) {
            const checkpoint = await currentCheckpoint();
            if (checkpoint.size === 0n) throw new Error('not found: the log is empty');
            const proof = await inclusionProof(leaf, checkpoint.size);
            if (!proof) throw new Error('not found: no entry of this log has this leaf hash');
            const root = await rootFromInclusion(proof.index, checkpoint.size, leaf, proof.hashes);
            if (!equalBytes(root, checkpoint.root)) throw new Error('the inclusion proof leads to ' + encodeBase64(root) + ', not to the checkpoint root');
            return {
              index: proof.index,
              lines: [
                'Leaf ' + proof.index + ' is in the tree of ' + checkpoint.size + ' entries: the ' + proof.hashes.length + '-hash proof leads to the root ' + encodeBase64(checkpoint.root) + ' of the current checkpoint of ' + checkpoint.origin + '.',
                'The checkpoint\'s Ed25519 signature is not checked here. To check it with your receipt, run: ' + AUDIT_COMMAND,
              ],
            };
          }

          /** Checks a receipt: its own proof, then against the live log (consistency and inclusion). */
          async function checkReceipt(text) {
            const receipt = parseReceipt(text);
            const leaf = await leafHash(receipt.entry);
            const lines = [];
            const root = await rootFromInclusion(receipt.index, receipt.checkpoint.size, leaf, receipt.proof);
            if (!equalBytes(root, receipt.checkpoint.root)) throw new Error('the receipt\'s proof does not lead to its checkpoint\'s root: the receipt was altered');
            lines.push('The receipt\'s proof puts its entry at index ' + receipt.index + ' of its checkpoint (tree size ' + receipt.checkpoint.size + ').');
            const current = await currentCheckpoint();
            if (current.origin !== receipt.checkpoint.origin) throw new Error('the receipt is for the log ' + receipt.checkpoint.origin + ', this is ' + current.origin);
            if (current.size < receipt.checkpoint.size) throw new Error('the receipt\'s checkpoint (size ' + receipt.checkpoint.size + ') is larger than this log (' + current.size + ')');
            let consistency = [];
            if (current.size > receipt.checkpoint.size) {
              const json = await (await get('/proof/consistency?from=' + receipt.checkpoint.size + '&to=' + current.size, 'the consistency proof')).json();
              if (!Array.isArray(json.hashes)) throw new Error('the consistency proof has no hashes array');
              consistency = json.hashes.map((h, i) => hash32(h, 'consistency hash ' + (i + 1)));
            }
            await verifyConsistency(receipt.checkpoint.size, current.size, receipt.checkpoint.root, current.root, consistency);
            lines.push('The log\'s current tree (' + current.size + ' entries) extends the receipt\'s tree: the consistency proof checks.');
            const proof = await inclusionProof(leaf, current.size);
            if (!proof) throw new Error('not found: the log has no entry with this receipt\'s leaf hash');
            if (proof.index !== receipt.index) throw new Error('the log has this entry at index ' + proof.index + ', the receipt says ' + receipt.index);
            const now = await rootFromInclusion(proof.index, current.size, leaf, proof.hashes);
            if (!equalBytes(now, current.root)) throw new Error('the current inclusion proof does not lead to the current root');
            lines.push('The entry is in the current checkpoint too (leaf hash ' + encodeBase64(leaf) + ').');
            lines.push('Signatures are not checked in the browser. Save the receipt as FILE and run: ' + AUDIT_COMMAND);
            return { index: receipt.index, lines };
          }

          // ---- page glue --------------------------------------------------------------------

          /** A paragraph of text; the audit command, where it occurs, set as code. */
          function paragraph(line) {
            const p = document.createElement('p');
            const at = line.indexOf(AUDIT_COMMAND);
            if (at < 0) {
              p.textContent = line;
              return p;
            }
            const code = document.createElement('code');
            code.textContent = AUDIT_COMMAND;
            p.append(line.slice(0, at), code, line.slice(at + AUDIT_COMMAND.length));
            return p;
          }

          function show(verdict, detail, ok, lines) {
            verdict.dataset.state = ok ? 'verified' : 'failed';
            verdict.textContent = ok ? 'verified' : 'failed';
            detail.replaceChildren(...lines.map(paragraph));
          }

          async function run(verdict, detail, check) {
            verdict.dataset.state = 'checking';
            verdict.textContent = 'checking…';
            try {
              const result = await check();
              show(verdict, detail, true, result.lines);
            } catch (error) {
              show(verdict, detail, false, [String(error && error.message ? error.message : error)]);
            }
          }

          function setUpLeafCheck() {
            const panel = document.getElementById('verify');
            if (!panel || !panel.dataset.leaf) return;
            const verdict = document.getElementById('verdict');
            const detail = document.getElementById('verdict-detail');
            run(verdict, detail, async () => checkLeaf(hash32(panel.dataset.leaf, 'the leaf hash')));
          }

          function setUpReceiptCheck() {
            const panel = document.getElementById('receipt-check');
            if (!panel) return;
            panel.hidden = false;
            const text = document.getElementById('receipt-text');
            const verdict = document.getElementById('receipt-verdict');
            const detail = document.getElementById('receipt-detail');
            const check = () => run(verdict, detail, () => checkReceipt(text.value));
            document.getElementById('receipt-button').addEventListener('click', check);
            // A link may carry a receipt in its fragment (#receipt=<base64url of the text>), which
            // browsers never send to a server; drop it from the address bar and history at once.
            if (location.hash.startsWith('#receipt=')) {
              const bytes = decodeBase64(location.hash.slice(9));
              history.replaceState(null, '', location.pathname + location.search);
              if (bytes) text.value = new TextDecoder().decode(bytes);
              check();
            }
          }

          /** A receipt or an entry typed in the search box would be sent to the server: stop it. */
          function guardSearch() {
            const form = document.getElementById('search');
            if (!form) return;
            form.addEventListener('submit', (event) => {
              const value = form.elements.q.value;
              if (value.includes('{') || value.includes('tlog-proof')) {
                event.preventDefault();
                form.elements.q.value = '';
                const panel = document.getElementById('receipt-check');
                if (panel) {
                  panel.scrollIntoView();
                  document.getElementById('receipt-verdict').textContent = 'paste the whole receipt here: it is checked in your browser';
                } else {
                  location.href = '/explorer/search';
                }
              }
            });
          }

          function start() {
            guardSearch();
            setUpReceiptCheck();
            setUpLeafCheck();
          }
          if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
          else start();
        })();

        """#
}
