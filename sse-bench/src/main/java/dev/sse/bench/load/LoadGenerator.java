package dev.sse.bench.load;

import dev.sse.core.SseParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process holding thousands of SSE connections on one NIO selector thread: HTTP/1.1 GET, chunked or
 * close-delimited bodies, SSE parsing by {@link SseParser} (one per connection; it parses lines in place and its
 * buffers start empty, so an idle connection costs the generator a few hundred bytes).
 *
 * <p>Every broadcast carries a sequence number at the start of its data ({@code "<seq> xxxx..."}). The caller
 * records {@link #trigger(long)} just before it asks the server to broadcast; each delivery then records
 * {@code receive time - trigger time} into the current window's histogram.
 *
 * <h2>Threads</h2>
 * The selector thread ({@code sse-bench-load}) owns every socket and connection field except the volatile
 * counters. The caller's thread calls {@link #open}, {@link #trigger}, {@link #beginWindow} and the await/query
 * methods; the histogram is guarded by its own monitor.
 */
public final class LoadGenerator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoadGenerator.class);
    private static final int MAX_CONNECTING = 64;
    private static final int MAX_SEQ = 1 << 20;
    private static final int STALLED_RCVBUF = 4096;

    private final InetSocketAddress server;
    /** The local address each socket binds before connecting, or null for the kernel's choice. */
    private final InetSocketAddress source;
    private final byte[] request;
    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Conn> toConnect = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<Conn> all = new ArrayList<>();
    private final AtomicLongArray triggerAt = new AtomicLongArray(MAX_SEQ);
    private final ByteBuffer readBuf = ByteBuffer.allocate(64 * 1024);

    private volatile boolean running = true;
    private volatile long windowFrom = Long.MAX_VALUE;
    private LatencyHistogram window = new LatencyHistogram();
    private final AtomicLong windowReceived = new AtomicLong();
    private final AtomicLong totalEvents = new AtomicLong();
    private final AtomicInteger connecting = new AtomicInteger();
    private final AtomicInteger established = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    // Per-request streams (openStream): token latency and counts, written by the selector thread.
    private volatile long clockOffset;
    private final LatencyHistogram tokenLatency = new LatencyHistogram();
    private final AtomicLong tokensRead = new AtomicLong();
    private volatile long lastTokenAt;

    /**
     * Starts the selector thread.
     *
     * @param server the server, on loopback
     * @param path the SSE path, e.g. {@code /events}
     * @throws IOException if no selector can be opened
     */
    public LoadGenerator(InetSocketAddress server, String path) throws IOException {
        this(server, path, null);
    }

    /**
     * Starts the selector thread; its sockets connect from {@code source}, so that several generators on distinct
     * loopback addresses pass the ephemeral port range together (one source address reaches one server port about
     * 28,000 times).
     *
     * @param server the server, on loopback
     * @param path the SSE path, e.g. {@code /events}
     * @param source the loopback address to connect from, or {@code null} for the kernel's choice
     * @throws IOException if no selector can be opened
     */
    public LoadGenerator(InetSocketAddress server, String path, InetAddress source) throws IOException {
        if (!server.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("server must be on loopback (was " + server + ")");
        }
        if (source != null && !source.isLoopbackAddress()) {
            throw new IllegalArgumentException("source must be a loopback address (was " + source + ")");
        }
        this.server = server;
        this.source = source == null ? null : new InetSocketAddress(source, 0);
        this.request = ("GET " + path + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort()
                + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        this.selector = Selector.open();
        this.thread = new Thread(this::loop, "sse-bench-load");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Opens more connections. Stalled ones get a small receive buffer and stop reading after their first event, so
     * the server's writes to them back up.
     *
     * @param count how many
     * @param stalled whether they stall
     */
    public void open(int count, boolean stalled) {
        for (int i = 0; i < count; i++) {
            toConnect.add(new Conn(stalled));
        }
        selector.wakeup();
    }

    /**
     * Opens one per-request stream: {@code POST target&id=ID} (target carries the other query parameters), whose
     * events are {@code event: token}, {@code id: i}, {@code data: <the server's System.nanoTime() when it produced
     * the token>}, then {@code data: [DONE]} and the end of the response. Each token's latency, produce to read, is
     * recorded with {@link #clockOffset(long)}; a stream with {@code resetAt >= 0} reads up to token {@code resetAt}
     * and then resets the connection (SO_LINGER 0 and close: a TCP RST), reading nothing after that token.
     *
     * @param target path and query, without the id, e.g. {@code /stream?tokens=20&interval=50}
     * @param id the stream's id, sent as {@code &id=}
     * @param resetAt the token index after which to reset, or -1 for a healthy stream
     */
    public void openStream(String target, long id, int resetAt) {
        Conn c = new Conn(false);
        c.request = ("POST " + target + "&id=" + id + " HTTP/1.1\r\nHost: " + server.getHostString() + ":"
                + server.getPort() + "\r\nAccept: text/event-stream\r\nContent-Length: 0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        c.streamId = id;
        c.resetAt = resetAt;
        toConnect.add(c);
        selector.wakeup();
    }

    /**
     * Sets the server JVM's clock against this one, for token latencies: produce time here = the token's
     * {@code data} minus this.
     *
     * @param serverMinusLocal the server's {@code System.nanoTime()} minus this JVM's at the same instant
     */
    public void clockOffset(long serverMinusLocal) {
        clockOffset = serverMinusLocal;
    }

    /** @return tokens read on every stream */
    public long tokensRead() {
        return tokensRead.get();
    }

    /** @return when the last token was read, this JVM's {@code System.nanoTime()}, 0 if none */
    public long lastTokenAt() {
        return lastTokenAt;
    }

    /** @return a copy of the produce-to-read latency of every token read so far */
    public LatencyHistogram tokenLatency() {
        synchronized (tokenLatency) {
            LatencyHistogram copy = new LatencyHistogram();
            copy.add(tokenLatency);
            return copy;
        }
    }

    /**
     * @param atLeast a token count
     * @return streams that have read at least that many tokens
     */
    public int streamsWithTokens(int atLeast) {
        return count(c -> c.streamId >= 0 && c.tokens >= atLeast);
    }

    /** @return healthy streams (no reset planned) that got {@code [DONE]} and saw the response end */
    public int streamsDone() {
        return count(c -> c.streamId >= 0 && c.resetAt < 0 && c.gotDone && c.ended);
    }

    /** What one per-request stream saw, for the caller once the run is over. */
    public static final class StreamResult {
        /** The stream's id. */
        public final long id;
        /** The token index it was to reset after, or -1. */
        public final int resetAt;
        /** Tokens read. */
        public final int tokens;
        /** Tokens whose index was not the one after the previous (lost, repeated or out of order). */
        public final int gaps;
        /** Whether {@code [DONE]} arrived. */
        public final boolean gotDone;
        /** Whether the response ended (last chunk or EOF). */
        public final boolean ended;
        /** When it reset the connection, this JVM's {@code System.nanoTime()}; 0 if it did not. */
        public final long resetNanos;
        /** Whether the connection is closed (after the end, a reset, or an error). */
        public final boolean closed;

        StreamResult(Conn c) {
            id = c.streamId;
            resetAt = c.resetAt;
            tokens = c.tokens;
            gaps = c.gaps;
            gotDone = c.gotDone;
            ended = c.ended;
            resetNanos = c.resetNanos;
            closed = c.closed;
        }
    }

    /** @return every per-request stream's result so far */
    public List<StreamResult> streamResults() {
        List<StreamResult> r = new ArrayList<>();
        for (Conn c : snapshot()) {
            if (c.streamId >= 0) {
                r.add(new StreamResult(c));
            }
        }
        return r;
    }

    /** @return connections whose request was written and which have not closed or failed */
    public int established() {
        return established.get() - closed.get();
    }

    /** @return connections that failed to connect */
    public int failed() {
        return failed.get();
    }

    /** @return connections closed by the server after they were established */
    public int closed() {
        return closed.get();
    }

    /** @return events received on all connections since the start */
    public long totalEvents() {
        return totalEvents.get();
    }

    /**
     * Records the trigger time of a broadcast; call just before asking the server for it.
     *
     * @param seq the broadcast's sequence number
     */
    public void trigger(long seq) {
        triggerAt.set((int) seq, System.nanoTime());
    }

    /**
     * Starts a new measurement window: deliveries of broadcasts with {@code seq >= fromSeq} go into a fresh histogram.
     *
     * @param fromSeq the first measured sequence number
     */
    public void beginWindow(long fromSeq) {
        if (fromSeq >= MAX_SEQ) {
            throw new IllegalArgumentException("sequence space exhausted (" + fromSeq + ")");
        }
        synchronized (this) {
            window = new LatencyHistogram();
            windowReceived.set(0);
        }
        windowFrom = fromSeq;
    }

    /** @return a copy of the current window's histogram */
    public LatencyHistogram windowHistogram() {
        synchronized (this) {
            LatencyHistogram copy = new LatencyHistogram();
            copy.add(window);
            return copy;
        }
    }

    /** @return deliveries counted in the current window */
    public long windowReceived() {
        return windowReceived.get();
    }

    /** @return connections that stall and are still open */
    public int stalledOpen() {
        return count(c -> c.stalled && !c.closed);
    }

    /** @return open connections that read normally */
    public int healthyOpen() {
        return count(c -> !c.stalled && !c.closed && c.established);
    }

    /**
     * @param seq a sequence number
     * @param includeStalled whether stalled connections count
     * @return how many open connections have received {@code seq} or later
     */
    public int receivedAtLeast(long seq, boolean includeStalled) {
        return count(c -> !c.closed && (includeStalled || !c.stalled) && c.lastSeq >= seq);
    }

    /** @return events received by stalled connections, in total */
    public long stalledEvents() {
        long n = 0;
        for (Conn c : snapshot()) {
            if (c.stalled) {
                n += c.events;
            }
        }
        return n;
    }

    /** @return stalled connections the server has closed (seen as EOF or reset once they read again) */
    public int stalledClosed() {
        return count(c -> c.stalled && c.closed);
    }

    /** Makes stalled connections read again, to see what the server left them: data, or an EOF. */
    public void resumeStalled() {
        tasks.add(() -> {
            for (Conn c : all) {
                if (c.stalled && !c.closed && c.key != null && c.key.isValid()) {
                    c.resumed = true;
                    c.key.interestOps(SelectionKey.OP_READ);
                }
            }
        });
        selector.wakeup();
    }

    /**
     * Waits until a condition holds or the deadline passes, polling every few milliseconds.
     *
     * @param condition the condition
     * @param timeoutMillis the bound
     * @return whether it held
     * @throws InterruptedException if interrupted
     */
    public static boolean await(BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private interface ConnTest {
        boolean test(Conn c);
    }

    private int count(ConnTest t) {
        int n = 0;
        for (Conn c : snapshot()) {
            if (t.test(c)) {
                n++;
            }
        }
        return n;
    }

    private List<Conn> snapshot() {
        synchronized (all) {
            return new ArrayList<>(all);
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Conn c : snapshot()) {
            try {
                if (c.ch != null) {
                    c.ch.close();
                }
            } catch (IOException e) {
                LOG.debug("close failed", e);
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("selector close failed", e);
        }
    }

    private void loop() {
        try {
            while (running) {
                startConnects();
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                selector.select(50);
                long now = System.nanoTime();
                SelectionKey[] ready = selector.selectedKeys().toArray(new SelectionKey[0]);
                selector.selectedKeys().clear();
                for (SelectionKey key : ready) {
                    Conn c = (Conn) key.attachment();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            finishConnect(c);
                        } else if (key.isReadable()) {
                            read(c, now);
                        }
                    } catch (IOException | RuntimeException e) {
                        lost(c, e);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("load generator loop died", e);
        }
    }

    private void startConnects() {
        while (connecting.get() < MAX_CONNECTING) {
            Conn c = toConnect.poll();
            if (c == null) {
                return;
            }
            SocketChannel ch = null;
            boolean counted = false;
            try {
                ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (source != null) {
                    // Every close of it is then a reset, leaving no TIME_WAIT: a port-0 bind never reuses a port in
                    // TIME_WAIT, so back-to-back runs would otherwise exhaust the address's range.
                    ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                    ch.bind(source);
                }
                if (c.stalled) {
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, STALLED_RCVBUF);
                }
                c.ch = ch;
                synchronized (all) {
                    all.add(c);
                }
                connecting.incrementAndGet();
                counted = true;
                if (ch.connect(server)) {
                    c.key = ch.register(selector, 0, c);
                    finishConnect(c);
                } else {
                    c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
                }
            } catch (IOException e) {
                c.closed = true;
                if (counted) {
                    connecting.decrementAndGet();
                }
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException closing) {
                        LOG.debug("close after a failed connect failed", closing);
                    }
                }
                failed.incrementAndGet();
                LOG.debug("connect failed", e);
            }
        }
    }

    private void finishConnect(Conn c) throws IOException {
        try {
            if (!c.ch.finishConnect()) {
                return;
            }
        } catch (IOException e) {
            connecting.decrementAndGet();
            failed.incrementAndGet();
            c.closed = true;
            c.key.cancel();
            c.ch.close();
            LOG.debug("connect failed", e);
            return;
        }
        connecting.decrementAndGet();
        ByteBuffer req = ByteBuffer.wrap(c.request != null ? c.request : request);
        while (req.hasRemaining()) {
            if (c.ch.write(req) == 0) {
                throw new IOException("request did not fit the socket buffer");
            }
        }
        c.established = true;
        established.incrementAndGet();
        c.key.interestOps(SelectionKey.OP_READ);
    }

    private void lost(Conn c, Exception e) {
        if (!c.closed) {
            c.closed = true;
            if (c.established) {
                closed.incrementAndGet();
            }
            LOG.debug("connection lost: {}", e.toString());
        }
        c.key.cancel();
        try {
            c.ch.close();
        } catch (IOException ignored) {
            LOG.trace("close after loss failed", ignored);
        }
    }

    private void read(Conn c, long now) throws IOException {
        c.now = now;
        while (true) {
            readBuf.clear();
            int n = c.ch.read(readBuf);
            if (n < 0) {
                c.ended = true;
                throw new IOException("EOF");
            }
            if (n == 0) {
                return;
            }
            c.onBytes(readBuf.array(), 0, n);
            if (c.resetNow) {
                reset(c);
                return;
            }
            if (c.ended) {
                lost(c, new IOException("response ended"));
                return;
            }
            if (c.stalled && !c.resumed && c.events > 0) {
                c.key.interestOps(0);
                return;
            }
        }
    }

    private void reset(Conn c) throws IOException {
        c.ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        c.resetNanos = System.nanoTime();
        // A registered channel is really closed (here: with an RST) when the next select deregisters its key, which
        // is as soon as this batch of ready keys is handled.
        lost(c, new IOException("reset by the client"));
    }

    private void token(Conn c, String lastEventId, String data) {
        int index = (int) parseSeq(lastEventId == null ? "" : lastEventId);
        if (index != c.lastIndex + 1) {
            c.gaps++;
        }
        c.lastIndex = index;
        c.tokens++;
        tokensRead.incrementAndGet();
        lastTokenAt = c.now;
        boolean negative = data.startsWith("-");
        long produced = parseSeq(negative ? data.substring(1) : data);
        if (produced >= 0) {
            long latency = c.now - ((negative ? -produced : produced) - clockOffset);
            synchronized (tokenLatency) {
                tokenLatency.record(latency);
            }
        }
        if (index == c.resetAt) {
            c.resetNow = true;
        }
    }

    private void delivered(Conn c, String data) {
        long seq = parseSeq(data);
        totalEvents.incrementAndGet();
        c.events++;
        if (seq < 0) {
            return;
        }
        c.lastSeq = seq;
        if (seq >= windowFrom && seq < MAX_SEQ) {
            long t0 = triggerAt.get((int) seq);
            synchronized (this) {
                window.record(c.now - t0);
            }
            windowReceived.incrementAndGet();
        }
    }

    private static long parseSeq(String data) {
        long v = 0;
        int i = 0;
        for (; i < data.length(); i++) {
            char ch = data.charAt(i);
            if (ch < '0' || ch > '9') {
                break;
            }
            v = v * 10 + (ch - '0');
        }
        return i == 0 ? -1 : v;
    }

    /** One client connection; fields are the selector thread's, except the volatile ones read by queries. */
    private final class Conn implements SseParser.Listener {
        final boolean stalled;
        SocketChannel ch;
        SelectionKey key;
        volatile boolean established;
        volatile boolean closed;
        volatile boolean resumed;
        volatile long lastSeq = -1;
        volatile long events;
        long now;

        // Per-request streams only (streamId >= 0).
        byte[] request;
        long streamId = -1;
        int resetAt = -1;
        int lastIndex = -1;
        volatile int tokens;
        volatile int gaps;
        volatile boolean gotDone;
        volatile boolean ended;
        volatile long resetNanos;
        boolean resetNow;

        private byte[] head = new byte[512];
        private int headLen;
        private boolean bodyStarted;
        private boolean chunked;
        private final SseParser parser = new SseParser(this);

        // Chunked decoding state.
        private static final int SIZE = 0;
        private static final int SIZE_EXT = 1;
        private static final int DATA = 2;
        private static final int DATA_END = 3;
        private static final int DONE = 4;
        private int cstate = SIZE;
        private long chunkLeft;

        Conn(boolean stalled) {
            this.stalled = stalled;
        }

        void onBytes(byte[] b, int off, int len) throws IOException {
            if (!bodyStarted) {
                int end = off + len;
                int i = off;
                while (i < end) {
                    if (headLen == head.length) {
                        if (head.length > 16 * 1024) {
                            throw new IOException("response head too large");
                        }
                        head = java.util.Arrays.copyOf(head, head.length * 2);
                    }
                    head[headLen++] = b[i++];
                    if (headLen >= 4 && head[headLen - 1] == '\n' && head[headLen - 2] == '\r'
                            && head[headLen - 3] == '\n' && head[headLen - 4] == '\r') {
                        parseHead();
                        bodyStarted = true;
                        break;
                    }
                }
                if (!bodyStarted || i == end) {
                    return;
                }
                off = i;
                len = end - i;
            }
            if (chunked) {
                dechunk(b, off, len);
            } else {
                parser.feed(b, off, len);
            }
        }

        private void parseHead() throws IOException {
            String text = new String(head, 0, headLen, StandardCharsets.ISO_8859_1);
            head = null;
            if (!text.startsWith("HTTP/1.1 200") && !text.startsWith("HTTP/1.0 200")) {
                throw new IOException("unexpected response: " + text.lines().findFirst().orElse(""));
            }
            for (String line : text.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("transfer-encoding")
                        && line.substring(colon + 1).toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
                    chunked = true;
                }
            }
        }

        private void dechunk(byte[] b, int off, int len) throws IOException {
            int i = off;
            int end = off + len;
            while (i < end) {
                switch (cstate) {
                    case SIZE: {
                        byte c = b[i++];
                        int v = Character.digit(c, 16);
                        if (v >= 0) {
                            chunkLeft = chunkLeft * 16 + v;
                        } else if (c == '\n') {
                            cstate = chunkLeft == 0 ? DONE : DATA;
                        } else {
                            cstate = SIZE_EXT;
                        }
                        break;
                    }
                    case SIZE_EXT:
                        if (b[i++] == '\n') {
                            cstate = chunkLeft == 0 ? DONE : DATA;
                        }
                        break;
                    case DATA: {
                        int n = (int) Math.min(chunkLeft, end - i);
                        parser.feed(b, i, n);
                        i += n;
                        chunkLeft -= n;
                        if (chunkLeft == 0) {
                            cstate = DATA_END;
                        }
                        break;
                    }
                    case DATA_END:
                        if (b[i++] == '\n') {
                            cstate = SIZE;
                        }
                        break;
                    default:
                        if (streamId >= 0) {
                            // The last chunk's trailer: the response is over.
                            return;
                        }
                        throw new IOException("data after the last chunk");
                }
                if (cstate == DONE && streamId >= 0) {
                    ended = true;
                }
            }
        }

        @Override
        public void onEvent(String type, String data, String lastEventId) {
            if (streamId < 0) {
                delivered(this, data);
            } else if (resetNow) {
                return;
            } else if ("token".equals(type)) {
                token(this, lastEventId, data);
            } else if ("[DONE]".equals(data)) {
                gotDone = true;
            }
        }
    }
}
