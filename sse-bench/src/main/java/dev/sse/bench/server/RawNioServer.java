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
 */
final class RawNioServer implements BenchServer {

    private static final Logger LOG = LoggerFactory.getLogger(RawNioServer.class);
    private static final long MAX_QUEUED = 1 << 20;
    private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Cache-Control: no-cache\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final ConcurrentLinkedQueue<byte[]> frames = new ConcurrentLinkedQueue<>();
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
    public void stop() throws Exception {
        running = false;
        selector.wakeup();
        thread.join(5000);
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
        boolean dropped;

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
                boolean cr = (headMatch & 1) == 0;
                if ((cr && b == '\r') || (!cr && b == '\n')) {
                    headMatch++;
                } else {
                    headMatch = b == '\r' ? 1 : 0;
                }
                if (headMatch == 4) {
                    // Registered before the head goes out, so no broadcast can fall between the two.
                    subscribed = true;
                    clients.add(this);
                    subscribers.incrementAndGet();
                    enqueue(ByteBuffer.wrap(HEAD));
                    return;
                }
            }
        }

        void enqueue(ByteBuffer buf) throws IOException {
            if (queue.isEmpty()) {
                ch.write(buf);
                if (!buf.hasRemaining()) {
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
        }

        void drop() {
            if (dropped) {
                return;
            }
            dropped = true;
            if (subscribed) {
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
