package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.junit.jupiter.api.Test;

/** Per-request streams on embedded Jetty 12 ee10, also over HTTP/2 (h2c). */
class JettySseStreamsTest extends AbstractSseStreamsTest {

    @Override
    ServerFixture newServer() {
        return new JettyFixture();
    }

    @Test
    void aPostAnsweredWithItsOwnStreamOverHttp2EndsAfterTheTerminalEvent() throws Exception {
        start();
        HTTP2Client client = new HTTP2Client();
        client.start();
        try {
            Session session = client.connect(new InetSocketAddress("127.0.0.1", port), new Session.Listener() { })
                    .get(T.toMillis(), TimeUnit.MILLISECONDS);
            MetaData.Request request = new MetaData.Request("POST",
                    HttpURI.from("http://127.0.0.1:" + port + "/events?mode=tokens&n=2"), HttpVersion.HTTP_2,
                    HttpFields.EMPTY);
            CompletableFuture<MetaData.Response> response = new CompletableFuture<>();
            CompletableFuture<String> body = new CompletableFuture<>();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            session.newStream(new HeadersFrame(request, null, true), new Stream.Listener() {
                @Override
                public void onHeaders(Stream stream, HeadersFrame frame) {
                    response.complete((MetaData.Response) frame.getMetaData());
                    if (frame.isEndStream()) {
                        body.complete(bytes.toString(StandardCharsets.UTF_8));
                    } else {
                        stream.demand();
                    }
                }

                @Override
                public void onDataAvailable(Stream stream) {
                    Stream.Data data = stream.readData();
                    if (data != null) {
                        ByteBuffer b = data.frame().getByteBuffer();
                        byte[] chunk = new byte[b.remaining()];
                        b.get(chunk);
                        bytes.write(chunk, 0, chunk.length);
                        boolean last = data.frame().isEndStream();
                        data.release();
                        if (last) {
                            body.complete(bytes.toString(StandardCharsets.UTF_8));
                            return;
                        }
                    }
                    stream.demand();
                }
            });

            assertThat(response.get(T.toMillis(), TimeUnit.MILLISECONDS).getStatus()).isEqualTo(200);
            assertThat(body.get(T.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(
                    "id: 1\nevent: token\ndata: t1\n\nid: 2\nevent: token\ndata: t2\n\ndata: [DONE]\n\n");
            assertThat(closes.poll(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.COMPLETED);
        } finally {
            client.stop();
        }
    }
}
