package dev.sse.bench.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The floor: an SSE broadcast server with no framework. One selector thread accepts, reads the request head,
 * answers with a close-delimited {@code text/event-stream} response, and writes each broadcast (encoded once) to
 * every client, queueing what a socket does not take; a client with more than 1 MiB queued is disconnected, the
 * same bound as the hub's default.
 *
 * <h2>Threads</h2>
 * The selector thread ({@code raw-sse}) owns every socket and every client field. {@link #broadcast(String)} only
 * hands the encoded frame to it through a queue; {@link #subscribers()} reads an atomic counter.
 *
 * <p>The {@code streams} scenario's {@code POST} {@value TokenStreams#PATH} is served here too: the head at once,
 * then each token the shared producers make is handed to the selector thread through a second queue and written like
 * a broadcast frame; after {@code [DONE]} the socket is closed (the body is close-delimited). A reset is seen at
 * once, as the socket becomes readable with an error, and stops the producer.
 */
final class RawNioServer implements BenchServer {

    private static final Logger LOG = LoggerFactory.getLogger(RawNioServer.class);
    private static final long MAX_QUEUED = 1 << 20;
    private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Cache-Control: no-cache\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ConcurrentLinkedQueue<byte[]> frames = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Token> tokens = new ConcurrentLinkedQueue<>();
    private final TokenStreams streams = new TokenStreams();
    private final AtomicInteger subscribers = new AtomicInteger();
    private final List<Client> clients = new ArrayList<>();
    private final ByteBuffer readBuf = ByteBuffer.allocate(8192);
    private Selector selector;
    private ServerSocketChannel listener;
    private Thread thread;
    private volatile boolean running = true;

    @Override
    public int start() throws IOException {
        selector = Selector.open();
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::loop, "raw-sse");
        thread.start();
        return ((InetSocketAddress) listener.getLocalAddress()).getPort();
    }

    @Override
    public void broadcast(String data) {
        frames.add(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        selector.wakeup();
    }

    @Override
    public int subscribers() {
        return subscribers.get();
    }

    @Override
    public TokenStreams tokenStreams() {
        return streams;
    }

    @Override
    public void stop() throws Exception {
        running = false;
        selector.wakeup();
        thread.join(5000);
        streams.stop();
    }

    /** A frame a producer thread hands to the selector thread for one stream. */
    private static final class Token {
        final Client client;
        final byte[] frame;
        final boolean last;

        Token(Client client, byte[] frame, boolean last) {
            this.client = client;
            this.frame = frame;
            this.last = last;
        }
    }

    private void loop() {
        try {
            while (running) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else {
                        Client c = (Client) key.attachment();
                        try {
                            if (key.isReadable()) {
                                c.read();
                            }
                            if (key.isValid() && key.isWritable()) {
                                c.flush();
                            }
                        } catch (IOException e) {
                            c.drop();
                        }
                    }
                }
                selector.selectedKeys().clear();
                byte[] frame;
                while ((frame = frames.poll()) != null) {
                    fanOut(frame);
                }
                Token t;
                while ((t = tokens.poll()) != null) {
                    if (t.client.dropped) {
                        continue;
                    }
                    t.client.closeWhenFlushed |= t.last;
                    try {
                        t.client.enqueue(ByteBuffer.wrap(t.frame));
                    } catch (IOException e) {
                        t.client.drop();
                    }
                }
            }
            for (Client c : new ArrayList<>(clients)) {
                c.drop();
            }
            selector.close();
            listener.close();
        } catch (IOException e) {
            LOG.error("raw server loop died", e);
        }
    }

    private void hand(Token t) {
        tokens.add(t);
        selector.wakeup();
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = listener.accept()) != null) {
            ch.configureBlocking(false);
            Client c = new Client(ch);
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
        }
    }

    private void fanOut(byte[] frame) {
        for (int i = clients.size() - 1; i >= 0; i--) {
            Client c = clients.get(i);
            try {
                c.enqueue(ByteBuffer.wrap(frame));
            } catch (IOException e) {
                c.drop();
            }
        }
    }

    private final class Client {
        final SocketChannel ch;
        SelectionKey key;
        final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>(2);
        long queued;
        int headMatch;
        boolean subscribed;
        volatile boolean dropped;
        /** The request line while the head is read; {@code null} after. */
        StringBuilder requestLine = new StringBuilder();
        boolean lineDone;
        TokenStreams.Producer producer;
        boolean closeWhenFlushed;

        Client(SocketChannel ch) {
            this.ch = ch;
        }

        void read() throws IOException {
            readBuf.clear();
            int n = ch.read(readBuf);
            if (n < 0) {
                throw new IOException("EOF");
            }
            if (subscribed) {
                return;
            }
            for (int i = 0; i < n; i++) {
                byte b = readBuf.get(i);
                if (!lineDone) {
                    if (b == '\r' || b == '\n' || requestLine.length() > 1024) {
                        lineDone = true;
                    } else {
                        requestLine.append((char) (b & 0xff));
                    }
                }
                boolean cr = (headMatch & 1) == 0;
                if ((cr && b == '\r') || (!cr && b == '\n')) {
                    headMatch++;
                } else {
                    headMatch = b == '\r' ? 1 : 0;
                }
                if (headMatch == 4) {
                    String line = requestLine.toString();
                    requestLine = null;
                    if (line.startsWith("POST " + TokenStreams.PATH + "?")) {
                        startStream(line);
                        return;
                    }
                    // Registered before the head goes out, so no broadcast can fall between the two.
                    subscribed = true;
                    clients.add(this);
                    subscribers.incrementAndGet();
                    enqueue(ByteBuffer.wrap(HEAD));
                    return;
                }
            }
        }

        /** {@code POST /stream?tokens=N&interval=MS&id=ID}: the head at once, then the producer's frames. */
        void startStream(String line) throws IOException {
            subscribed = true;
            int q = line.indexOf('?');
            int sp = line.indexOf(' ', q);
            long tokens = -1;
            long interval = -1;
            long id = -1;
            for (String kv : line.substring(q + 1, sp < 0 ? line.length() : sp).split("&")) {
                int eq = kv.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                long v;
                try {
                    v = Long.parseLong(kv.substring(eq + 1));
                } catch (NumberFormatException e) {
                    throw new IOException("bad parameter " + kv, e);
                }
                switch (kv.substring(0, eq)) {
                    case "tokens":
                        tokens = v;
                        break;
                    case "interval":
                        interval = v;
                        break;
                    case "id":
                        id = v;
                        break;
                    default:
                        break;
                }
            }
            if (tokens < 1 || tokens > 100_000 || interval < 1) {
                throw new IOException("bad stream request " + line);
            }
            enqueue(ByteBuffer.wrap(HEAD));
            Client self = this;
            producer = streams.start(id, (int) tokens, interval, new TokenStreams.Sink() {
                @Override
                public boolean token(int index, long producedNanos) {
                    if (self.dropped) {
                        return false;
                    }
                    hand(new Token(self, ("event: token\nid: " + index + "\ndata: " + producedNanos + "\n\n")
                            .getBytes(StandardCharsets.US_ASCII), false));
                    return true;
                }

                @Override
                public void done() {
                    hand(new Token(self, DONE, true));
                }
            });
        }

        void enqueue(ByteBuffer buf) throws IOException {
            if (queue.isEmpty()) {
                ch.write(buf);
                if (!buf.hasRemaining()) {
                    if (closeWhenFlushed) {
                        endNormally();
                    }
                    return;
                }
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
            queue.add(buf);
            queued += buf.remaining();
            if (queued > MAX_QUEUED) {
                throw new IOException("slow client");
            }
        }

        void flush() throws IOException {
            ByteBuffer b;
            while ((b = queue.peek()) != null) {
                int n = ch.write(b);
                queued -= n;
                if (b.hasRemaining()) {
                    return;
                }
                queue.poll();
            }
            key.interestOps(SelectionKey.OP_READ);
            if (closeWhenFlushed) {
                endNormally();
            }
        }

        /** A stream's {@code [DONE]} is written: close without telling its producer anything. */
        void endNormally() {
            producer = null;
            subscribed = false;
            drop();
        }

        void drop() {
            if (dropped) {
                return;
            }
            dropped = true;
            if (producer != null) {
                producer.cancel();
            }
            if (subscribed && producer == null) {
                clients.remove(this);
                subscribers.decrementAndGet();
            }
            key.cancel();
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("close failed", e);
            }
        }
    }
}
