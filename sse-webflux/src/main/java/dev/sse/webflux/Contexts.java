package dev.sse.webflux;

import java.util.List;
import org.springframework.http.codec.HttpMessageWriter;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.result.view.ViewResolver;

/** The writers a {@link ServerResponse} needs when written from an annotated controller, outside a router. */
final class Contexts {

    static final ServerResponse.Context DEFAULT = new ServerResponse.Context() {
        private final HandlerStrategies strategies = HandlerStrategies.withDefaults();

        @Override
        public List<HttpMessageWriter<?>> messageWriters() {
            return strategies.messageWriters();
        }

        @Override
        public List<ViewResolver> viewResolvers() {
            return strategies.viewResolvers();
        }
    };

    private Contexts() {
    }
}
