package dev.sse.core;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one owner of topic membership: which channels each topic reaches, and each channel's own view of its topics.
 *
 * <p>Changes run under this object's monitor, so a subscription can never outlive its channel's close: a closed
 * channel is refused, and closing removes the channel from every topic under the same monitor. A topic whose last
 * subscriber leaves is removed. Broadcasts read {@link #subscribers} without the monitor (weakly consistent).
 * Lock order: the hub's publish lock, then this monitor, then a channel's lock.
 */
final class TopicIndex {

    private final ConcurrentHashMap<String, Set<EventChannel>> subscribers = new ConcurrentHashMap<>();

    /** Subscribes an open channel to each topic it does not follow yet; its own set is replaced once. */
    synchronized void subscribe(EventChannel channel, Collection<String> topics) {
        if (channel.isOpen()) {
            for (String topic : channel.follow(topics)) {
                subscribers.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet()).add(channel);
            }
        }
    }

    synchronized void unsubscribe(EventChannel channel, String topic) {
        if (channel.unfollow(topic)) {
            leave(channel, topic);
        }
    }

    /** Removes a closed channel from every topic; its own view keeps them, for listeners told of the close. */
    synchronized void removeClosed(EventChannel channel) {
        for (String topic : channel.topics()) {
            leave(channel, topic);
        }
    }

    private void leave(EventChannel channel, String topic) {
        Set<EventChannel> set = subscribers.get(topic);
        if (set != null && set.remove(channel) && set.isEmpty()) {
            subscribers.remove(topic);
        }
    }

    Iterable<EventChannel> subscribers(String topic) {
        return subscribers.getOrDefault(topic, Set.of());
    }

    int subscriberCount(String topic) {
        return subscribers.getOrDefault(topic, Set.of()).size();
    }

    int topicCount() {
        return subscribers.size();
    }
}
