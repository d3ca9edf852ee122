package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.micrometer.HubMetrics;
import dev.sse.micrometer.StreamMetrics;
import dev.sse.webflux.SseStreams;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;

/** Binds {@link HubMetrics} for every {@code Hub} bean and {@link StreamMetrics} for the per-request streams' host. */
final class SseReactiveMetrics implements MeterBinder, DisposableBean {

    private final ListableBeanFactory beans;
    private final SseProperties properties;
    private final ObjectProvider<SseStreams> streams;
    private final List<AutoCloseable> bound = new CopyOnWriteArrayList<>();

    SseReactiveMetrics(ListableBeanFactory beans, SseProperties properties, ObjectProvider<SseStreams> streams) {
        this.beans = beans;
        this.properties = properties;
        this.streams = streams;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Map.Entry<String, Hub> e : beans.getBeansOfType(Hub.class).entrySet()) {
            String name = SseAutoConfiguration.HUB_BEAN.equals(e.getKey()) ? properties.getName() : e.getKey();
            HubMetrics metrics = new HubMetrics(e.getValue(), name);
            metrics.bindTo(registry);
            bound.add(metrics);
        }
        SseStreams s = streams.getIfAvailable();
        if (s != null) {
            StreamMetrics metrics = new StreamMetrics(s.host());
            metrics.bindTo(registry);
            bound.add(metrics);
        }
    }

    @Override
    public void destroy() throws Exception {
        for (AutoCloseable metrics : bound) {
            metrics.close();
        }
    }
}
