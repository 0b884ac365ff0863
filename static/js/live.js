// The live feed: one WebSocket to /ws that reconnects by itself with backoff.
// Calls onSnapshot(machines, recent) after each (re)connect (recent: chart
// points a relay sends along), onUpdate(machines) after,
// onAlert(alert) on every fire and resolve, and onRemoved(machine_id) when a
// machine is removed from the hub.

const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 10000;

export function connectLive({ onSnapshot, onUpdate, onAlert, onRemoved, onState }) {
  let attempt = 0;
  const open = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/ws`);
    ws.onopen = () => { attempt = 0; onState(true); };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === 'snapshot') onSnapshot(frame.machines || [], frame.recent);
      else if (frame.type === 'update') onUpdate(frame.machines || []);
      else if (frame.type === 'alert' && frame.alert) onAlert(frame.alert);
      else if (frame.type === 'removed' && frame.machine_id) onRemoved(frame.machine_id);
    };
    ws.onclose = () => {
      onState(false);
      const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt++);
      setTimeout(open, Math.random() * ceiling);
    };
    ws.onerror = () => ws.close();
  };
  open();
}
