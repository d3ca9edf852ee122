package dev.sse.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} of the test's own on a loopback port it picked, with no persistence, so that a test can
 * pause ({@code SIGSTOP}), continue, kill and restart it; extra arguments make it a replica or a cluster node, and
 * {@link #sentinel} starts a Sentinel. Always destroyed by {@link #close()}.
 */
final class RedisServer implements AutoCloseable {

    final int port;
    private final Path dir;
    private final List<String> extra;
    private final Path sentinelConfig;
    private Process process;

    private RedisServer(int port, Path dir, List<String> extra, Path sentinelConfig) {
        this.port = port;
        this.dir = dir;
        this.extra = extra;
        this.sentinelConfig = sentinelConfig;
    }

    static RedisServer start(String... extraArgs) throws IOException, InterruptedException {
        RedisServer server = new RedisServer(freePort(), Files.createTempDirectory("sse-redis-test"),
                List.of(extraArgs), null);
        server.launch();
        return server;
    }

    /**
     * A Sentinel (Debian's {@code redis-server --sentinel}, the binary the {@code redis-sentinel} package links to)
     * watching the primary on {@code primaryPort} as {@code mymaster}, alone, so quorum 1; it notices a dead primary
     * after {@code downAfterMs}.
     */
    static RedisServer sentinel(int primaryPort, int downAfterMs, int failoverTimeoutMs)
            throws IOException, InterruptedException {
        int port = freePort();
        Path dir = Files.createTempDirectory("sse-redis-sentinel");
        Path config = dir.resolve("sentinel.conf");
        Files.writeString(config, String.join("\n",
                "port " + port,
                "bind 127.0.0.1",
                "dir " + dir,
                "sentinel monitor mymaster 127.0.0.1 " + primaryPort + " 1",
                "sentinel down-after-milliseconds mymaster " + downAfterMs,
                "sentinel failover-timeout mymaster " + failoverTimeoutMs,
                "sentinel parallel-syncs mymaster 1", ""));
        RedisServer server = new RedisServer(port, dir, List.of(), config);
        server.launch();
        return server;
    }

    private static int freePort() throws IOException {
        // --port 0 disables TCP in Redis: pick a free port ourselves.
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    private void launch() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("redis-server");
        if (sentinelConfig != null) {
            command.addAll(List.of(sentinelConfig.toString(), "--sentinel"));
        } else {
            command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no"));
            command.addAll(extra);
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                if ("+PONG".equals(command("PING"))) {
                    return;
                }
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("redis-server did not answer on port " + port);
            }
            Thread.sleep(20);
        }
    }

    /** Sends one command and returns the first line of the reply. */
    String command(String... words) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(encode(words));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\r') {
                line.append((char) b);
            }
            return line.toString();
        }
    }

    private static byte[] encode(String... words) {
        StringBuilder req = new StringBuilder("*" + words.length + "\r\n");
        for (String w : words) {
            req.append('$').append(w.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(w)
                    .append("\r\n");
        }
        return req.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Writes several commands in one packet, so Redis runs them back to back with nothing of its own in between,
     * and does not wait for the replies (at most 300 ms).
     */
    void sendTogether(String[]... commands) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (String[] c : commands) {
                all.write(encode(c));
            }
            s.getOutputStream().write(all.toByteArray());
            s.getOutputStream().flush();
            // Long enough for Redis to have read them; a reply comes only when the last command is done.
            s.setSoTimeout(300);
            s.getInputStream().read();
        } catch (java.net.SocketTimeoutException e) {
            // Expected: Redis is still running them.
        }
    }

    /** A bulk-string reply (INFO, CLUSTER INFO) in full. */
    String bulk(String... words) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write(encode(words));
            InputStream in = s.getInputStream();
            String header = readLine(in);
            if (!header.startsWith("$")) {
                throw new IOException("not a bulk reply: " + header);
            }
            return new String(in.readNBytes(Integer.parseInt(header.substring(1))), StandardCharsets.UTF_8);
        }
    }

    /** An array reply of bulk strings, e.g. {@code SENTINEL GET-MASTER-ADDR-BY-NAME}. */
    List<String> array(String... words) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write(encode(words));
            InputStream in = s.getInputStream();
            String header = readLine(in);
            if (!header.startsWith("*")) {
                throw new IOException("not an array reply: " + header);
            }
            List<String> out = new ArrayList<>();
            for (int i = Integer.parseInt(header.substring(1)); i > 0; i--) {
                int len = Integer.parseInt(readLine(in).substring(1));
                out.add(new String(in.readNBytes(len), StandardCharsets.UTF_8));
                readLine(in);
            }
            return out;
        }
    }

    /** A field of {@code INFO <section>}, e.g. {@code master_repl_offset}, or {@code null}. */
    String info(String section, String field) throws IOException {
        for (String l : bulk("INFO", section).split("\r\n")) {
            if (l.startsWith(field + ":")) {
                return l.substring(field.length() + 1);
            }
        }
        return null;
    }

    /** The integer of a {@code :n} reply. */
    long integer(String... words) throws IOException {
        String reply = command(words);
        if (!reply.startsWith(":")) {
            throw new IOException("not an integer reply: " + reply);
        }
        return Long.parseLong(reply.substring(1));
    }

    /** How many times Redis ran {@code cmd} since start, from INFO commandstats. */
    long calls(String cmd) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("INFO commandstats\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String header = readLine(in);
            int len = Integer.parseInt(header.substring(1));
            byte[] body = in.readNBytes(len);
            for (String l : new String(body, StandardCharsets.UTF_8).split("\r\n")) {
                if (l.startsWith("cmdstat_" + cmd + ":calls=")) {
                    String v = l.substring(("cmdstat_" + cmd + ":calls=").length());
                    return Long.parseLong(v.substring(0, v.indexOf(',')));
                }
            }
            return 0;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    void pause() throws IOException, InterruptedException {
        signal("-STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill " + sig + " failed");
        }
    }

    /** Kills it outright and starts a new, empty one on the same port. */
    void restartEmpty() throws IOException, InterruptedException {
        kill();
        launch();
    }

    /** Starts it again, empty, after {@link #kill()}. */
    void startAgain() throws IOException, InterruptedException {
        launch();
    }

    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            signalQuietly("-CONT");
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void signalQuietly(String sig) {
        try {
            signal(sig);
        } catch (IOException | InterruptedException e) {
            // The process is being killed anyway.
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
