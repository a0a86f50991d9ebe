// The stylization studio's engine side: loads a style network (a built-in style or the
// user's .onnx bytes) and runs model.stylize off the page's thread, reporting progress.
// The page may also end this worker outright to cancel (see studio.js), so it keeps no state
// that cannot be rebuilt from the model bytes.
//
// Messages in:  init, load-model {bytes, name}, load-style {name}, stylize {id, image}, cancel
// Messages out: ready {engine, styles}, model {name, info}, progress {id, fraction, where},
//               result {id, data, width, height, ms}, cancelled {id}, error {id?, message}

import { init } from '../../js/index.browser.js';

let ist = null;
let model = null;
let running = null; // { id, controller }

function post(msg, transfer = []) {
  postMessage(msg, transfer);
}

function describe(err) {
  return String(err && err.message ? err.message : err);
}

function modelInfo(m) {
  try {
    return m.info ? JSON.parse(JSON.stringify(m.info())) : null;
  } catch {
    return null;
  }
}

async function setModel(next, name) {
  if (model && model !== next) model.dispose?.();
  model = next;
  post({ type: 'model', name, info: modelInfo(model) });
}

self.onmessage = async ({ data: msg }) => {
  try {
    switch (msg.type) {
      case 'init': {
        ist = await init({ threads: 'auto' });
        const styles = ist.styles().map((st) => ({
          name: st.name, title: st.title, network: st.network,
          about: st.artwork.about, author: st.artwork.author, licence: st.artwork.licence,
        }));
        post({ type: 'ready', engine: { isolated: self.crossOriginIsolated === true }, styles });
        break;
      }
      case 'load-model':
        await setModel(await ist.loadModel(new Uint8Array(msg.bytes)), msg.name);
        break;
      case 'load-style':
        await setModel(await ist.loadStyle(msg.name), msg.name);
        break;
      case 'stylize': {
        if (!model) throw new Error('load a style first');
        const controller = new AbortController();
        running = { id: msg.id, controller };
        const t0 = performance.now();
        const image = { data: new Uint8ClampedArray(msg.image.data), width: msg.image.width, height: msg.image.height };
        try {
          // Strength 1 and the photo's own colours off: the page blends the raw result with the
          // photo itself, so its sliders answer at once without running the network again.
          const out = await model.stylize(image, {
            strength: 1,
            preserveColors: false,
            signal: controller.signal,
            // Past the engine's memory budget the photo is stylized in tiles (js/model.js).
            onProgress: (fraction, where) => post({ type: 'progress', id: msg.id, fraction, where }),
          });
          // stylize() returns pixels in a buffer of their own (never the engine's heap): moved to
          // the page, not copied, which for a 12 MP photo saves 48 MB here.
          const { data } = out;
          post({ type: 'result', id: msg.id, data, width: out.width, height: out.height,
            ms: performance.now() - t0 }, [data.buffer]);
        } catch (err) {
          if (controller.signal.aborted) post({ type: 'cancelled', id: msg.id });
          else throw err;
        } finally {
          running = null;
        }
        break;
      }
      case 'cancel':
        running?.controller.abort();
        break;
      default:
        throw new Error(`unknown message ${msg.type}`);
    }
  } catch (err) {
    post({ type: 'error', id: msg.id, request: msg.type, message: describe(err) });
  }
};
