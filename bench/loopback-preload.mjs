// Preloaded into peer servers that listen on every interface: forces them onto loopback, because
// benchmark traffic must stay on this machine.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (typeof args[0] === 'object' && args[0] !== null)
    return listen.call(this, { ...args[0], host: '127.0.0.1' }, ...args.slice(1));
  if (typeof args[0] === 'number' || typeof args[0] === 'string') {
    const [port, ...rest] = args;
    const callback = rest.find((item) => typeof item === 'function');
    return listen.call(this, Number(port), '127.0.0.1', ...(callback ? [callback] : []));
  }
  return listen.apply(this, args);
};
