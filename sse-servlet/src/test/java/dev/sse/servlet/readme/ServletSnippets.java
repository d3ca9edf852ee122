package dev.sse.servlet.readme;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.servlet.SseServlet;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/** README snippets that use sse-servlet, verbatim (see ReadmeSnippetsTest); compiled, so they cannot rot. */
final class ServletSnippets {

    private ServletSnippets() {
    }

    static void registerInCode(ServletContextHandler context, Context ctx) {
Hub hub = Hub.create();
SseServlet servlet = SseServlet.builder().hub(hub)
        .allowedOrigins(Set.of("https://app.example.com"), true)     // CORS, credentials allowed
        .publicOrigin("https://events.example.com")                 // this server's origin (DNS rebinding)
        .hook((req, resp, topics, attributes) -> {                  // 401/403/204 before the stream starts
            if (req.getUserPrincipal() == null) { resp.setStatus(401); return false; }
            topics.add("user:" + req.getUserPrincipal().getName());
            return true;
        }).build();
context.addServlet(new ServletHolder(servlet), "/events");          // Jetty: ServletHolder is async by default
// Tomcat: Wrapper w = Tomcat.addServlet(ctx, "events", servlet); w.setAsyncSupported(true); ctx.addServletMappingDecoded("/events", "events");
        Wrapper w = Tomcat.addServlet(ctx, "events", servlet); w.setAsyncSupported(true); ctx.addServletMappingDecoded("/events", "events");
    }

    static SseServlet publishing(Hub hub) {
        return
SseServlet.builder().hub(hub)
    .publishing((request, event, topic) -> request.isUserInRole("publisher"))   // or PublishPolicy.open()
    .build();
    }

    /** A model that answers with the prompt's words. */
    interface Model {
        List<String> tokens(String prompt);
    }

    /** "Streaming one response". */
    static final class Chat extends HttpServlet {
        private final ExecutorService workers = Executors.newFixedThreadPool(4);
        private final Model model = prompt -> List.of(prompt.split(" "));

@Override
protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String prompt = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    SseStream stream = SseStreams.start(req, resp);
    Future<?> generation = workers.submit(() -> {
        for (String token : model.tokens(prompt)) {
            if (!stream.send(SseEvent.of("token", token), Duration.ofSeconds(30))) return null;  // client gone
        }
        stream.complete(SseEvent.data("[DONE]"));                 // terminal event, then the response ends
        return null;
    });
    stream.onClose(reason -> generation.cancel(true));            // exactly once: CLIENT_GONE, COMPLETED, ...
}
    }
}
