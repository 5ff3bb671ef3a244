// Pulse as the canvas sees it: schedules and executions in one reducer, loaded over HTTP and kept
// live by the WebSocket; polls while the socket is down so nothing goes stale.
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import type { ScheduleState, ServerEvent } from '../../../src/protocol.js';
import { emptyPulse, pulseReducer, type PulseState } from '../live/pulse-store.js';
import { LiveSocket, ticketProtocols, wsUrl, type ConnectionState } from '../live/socket.js';
import { useServices } from './services.js';

export interface PulseActions {
  refresh(): Promise<void>;
  loadSchedule(id: string): Promise<void>;
  loadExecutions(id: string): Promise<void>;
  setState(id: string, state: ScheduleState): Promise<void>;
  trigger(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  retryConnection(): void;
}

export interface PulseContextValue {
  state: PulseState;
  connection: ConnectionState;
  /** The last failure to load schedules (e.g. Pulse routes missing), or null. */
  loadError: string | null;
  actions: PulseActions;
}

const PulseContext = createContext<PulseContextValue | null>(null);

const MAX_EXECUTION_LOADS = 25;
const POLL_MS = 4000;

export function PulseProvider({ children }: { children: ReactNode }) {
  const { api, bus } = useServices();
  const [state, dispatch] = useReducer(pulseReducer, emptyPulse);
  const [connection, setConnection] = useState<ConnectionState>({ status: 'connecting', attempt: 0 });
  const [loadError, setLoadError] = useState<string | null>(null);
  const socketRef = useRef<LiveSocket | null>(null);
  const pending = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  /** A schedule's executions, or null when they could not be loaded (shown as stale data at worst; the next event or poll retries). */
  const fetchExecutions = useCallback((id: string) => api.pulse.executions(id).catch(() => null), [api]);

  const loadExecutions = useCallback(
    async (id: string) => {
      const executions = await fetchExecutions(id);
      if (executions) dispatch({ type: 'executionsLoaded', scheduleId: id, executions });
    },
    [fetchExecutions],
  );

  const loadSchedule = useCallback(
    async (id: string) => {
      try {
        dispatch({ type: 'scheduleLoaded', schedule: await api.pulse.get(id) });
      } catch (err) {
        if ((err as { status?: number }).status === 404) dispatch({ type: 'scheduleRemoved', id });
      }
    },
    [api],
  );

  const refresh = useCallback(async () => {
    try {
      const schedules = await api.pulse.list();
      const newest = [...schedules].sort((a, b) => b.created_at - a.created_at).slice(0, MAX_EXECUTION_LOADS);
      const executions = await Promise.all(newest.map(async (s) => [s.id, await fetchExecutions(s.id)] as const));
      // Schedules and their executions in one render: a schedule's card never shows (and asks
      // for its stats) before its executions are there, only to ask again when they arrive.
      dispatch({ type: 'schedulesLoaded', schedules });
      for (const [scheduleId, list] of executions) if (list) dispatch({ type: 'executionsLoaded', scheduleId, executions: list });
      setLoadError(null);
    } catch (err) {
      setLoadError((err as Error).message);
    }
  }, [api, fetchExecutions]);

  /** After an execution event: fetch the schedule (next run) and its executions (output), coalesced. */
  const follow = useCallback(
    (scheduleId: string) => {
      const timers = pending.current;
      if (timers.has(scheduleId)) return;
      timers.set(
        scheduleId,
        setTimeout(() => {
          timers.delete(scheduleId);
          void loadSchedule(scheduleId);
          void loadExecutions(scheduleId);
        }, 150),
      );
    },
    [loadSchedule, loadExecutions],
  );

  useEffect(() => {
    const onEvent = (e: ServerEvent) => {
      dispatch({ type: 'event', event: e });
      bus.emit('serverEvent', e);
      if (e.type.startsWith('pulse_execution_') && 'schedule_id' in e && e.schedule_id) follow(e.schedule_id);
    };
    let loadedOnce = false;
    const socket = new LiveSocket({
      url: wsUrl(window.location),
      protocols: async () => ticketProtocols((await api.session.wsTicket()).ticket),
      onEvent,
      // The first load waits for the socket's first verdict, so that the page asks once: open,
      // one load covers the start and whatever happened before the subscription (an earlier load
      // could miss a run that ended in between); failed, load over HTTP at once (and the poll
      // below keeps it fresh while the socket is down). Every later opening loads again, to catch
      // up on what the socket missed while it was down.
      onState: (s) => {
        setConnection(s);
        if (s.status === 'open' || (s.status === 'closed' && !loadedOnce)) {
          loadedOnce = true;
          void refresh();
        }
      },
    });
    socketRef.current = socket;
    socket.start();
    const timers = pending.current;
    return () => {
      socket.stop();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    };
  }, [api, bus, follow, refresh]);

  useEffect(() => {
    if (connection.status === 'open') return;
    const t = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(t);
  }, [connection.status, refresh]);

  const actions = useMemo<PulseActions>(
    () => ({
      refresh,
      loadSchedule,
      loadExecutions,
      async setState(id, s) {
        dispatch({ type: 'scheduleLoaded', schedule: await api.pulse.setState(id, s) });
      },
      async trigger(id) {
        await api.pulse.trigger(id);
        follow(id);
      },
      async remove(id) {
        await api.pulse.remove(id);
        dispatch({ type: 'scheduleRemoved', id });
      },
      retryConnection: () => socketRef.current?.retryNow(),
    }),
    [api, follow, loadExecutions, loadSchedule, refresh],
  );

  const value = useMemo(() => ({ state, connection, loadError, actions }), [state, connection, loadError, actions]);
  return <PulseContext.Provider value={value}>{children}</PulseContext.Provider>;
}

export function usePulse(): PulseContextValue {
  const v = useContext(PulseContext);
  if (!v) throw new Error('usePulse outside PulseProvider');
  return v;
}
