package dev.sse.bench.server;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.support.AnnotationConfigWebApplicationContext;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Spring MVC's {@link SseEmitter} on Jetty, written the way Spring's reference docs and the common tutorials do it:
 * a {@code @GetMapping} returns a new emitter kept in a {@link CopyOnWriteArrayList}; a broadcast loops over the list
 * calling {@code send(SseEmitter.event().data(...))} and removes an emitter whose send fails. No Spring Boot.
 * The emitter timeout is {@code Long.MAX_VALUE}, as tutorials set it so streams outlive the container's async
 * timeout. For the {@code streams} scenario, a {@code @PostMapping} on {@value TokenStreams#PATH} returns an emitter
 * per request, fed by {@link TokenStreams}' shared producers.
 */
final class SpringEmitterServer implements BenchServer {

    private Server jetty;
    private AnnotationConfigWebApplicationContext spring;

    @Override
    public int start() throws Exception {
        spring = new AnnotationConfigWebApplicationContext();
        spring.register(WebConfig.class);
        ServletContextHandler context = new ServletContextHandler();
        ServletHolder holder = new ServletHolder(new DispatcherServlet(spring));
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/");
        jetty = JettyServers.start(context);
        // Initialise the DispatcherServlet (and so the controller) now rather than on the first request.
        holder.getServlet();
        return JettyServers.port(jetty);
    }

    private EmitterController controller() {
        return spring.getBean(EmitterController.class);
    }

    @Override
    public void broadcast(String data) {
        controller().broadcast(data);
    }

    @Override
    public int subscribers() {
        return controller().emitters.size();
    }

    @Override
    public TokenStreams tokenStreams() {
        return controller().streams;
    }

    @Override
    public void stop() throws Exception {
        jetty.stop();
        controller().streams.stop();
    }

    /** The MVC configuration: one controller. */
    @Configuration
    @EnableWebMvc
    static class WebConfig {
        @Bean
        EmitterController emitterController() {
            return new EmitterController();
        }
    }

    /** The tutorial controller. */
    @RestController
    static class EmitterController {
        final List<SseEmitter> emitters = new CopyOnWriteArrayList<>();
        final TokenStreams streams = new TokenStreams();

        /**
         * A per-request stream as Spring users write one: an emitter that outlives the async timeout, tokens sent by
         * a shared scheduler, and every callback Spring offers wired to stop the producer; a {@code send} that throws
         * stops it too.
         */
        @PostMapping(path = TokenStreams.PATH, produces = MediaType.TEXT_EVENT_STREAM_VALUE)
        SseEmitter stream(@RequestParam("tokens") int tokens, @RequestParam("interval") long interval,
                @RequestParam("id") long id) {
            SseEmitter emitter = new SseEmitter(Long.MAX_VALUE);
            AtomicBoolean endedNormally = new AtomicBoolean();
            TokenStreams.Producer producer = streams.start(id, tokens, interval, new TokenStreams.Sink() {
                @Override
                public boolean token(int index, long producedNanos) {
                    try {
                        emitter.send(SseEmitter.event().name("token").id(Integer.toString(index))
                                .data(Long.toString(producedNanos)));
                        return true;
                    } catch (IOException | IllegalStateException e) {
                        return false;
                    }
                }

                @Override
                public void done() {
                    try {
                        emitter.send(SseEmitter.event().data("[DONE]"));
                        endedNormally.set(true);
                        emitter.complete();
                    } catch (IOException | IllegalStateException e) {
                        emitter.completeWithError(e);
                    }
                }
            });
            emitter.onCompletion(() -> {
                if (!endedNormally.get()) {
                    producer.cancel();
                }
            });
            emitter.onTimeout(producer::cancel);
            emitter.onError(e -> producer.cancel());
            return emitter;
        }

        @GetMapping(path = PATH, produces = MediaType.TEXT_EVENT_STREAM_VALUE)
        SseEmitter subscribe() {
            SseEmitter emitter = new SseEmitter(Long.MAX_VALUE);
            emitters.add(emitter);
            emitter.onCompletion(() -> emitters.remove(emitter));
            emitter.onTimeout(() -> emitters.remove(emitter));
            emitter.onError(e -> emitters.remove(emitter));
            return emitter;
        }

        void broadcast(String data) {
            for (SseEmitter emitter : emitters) {
                try {
                    emitter.send(SseEmitter.event().data(data));
                } catch (IOException e) {
                    emitters.remove(emitter);
                }
            }
        }
    }
}
