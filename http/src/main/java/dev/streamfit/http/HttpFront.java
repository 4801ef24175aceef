package dev.streamfit.http;

import dev.streamfit.http.internal.ByteBudget;
import dev.streamfit.http.internal.Channels;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stages' HTTP/1.1 server. Connections are read by two event-loop threads that never block: request line and
 * headers, and then the body, must each arrive within their deadline ({@link HttpLimits}); header size and count,
 * the body size and the bytes held by all bodies in flight are capped before a byte of body is kept. Only a whole
 * request reaches the worker pool, so a slow or stalled client holds a connection, never a worker. Refusals are
 * JSON {@code {"error", "message"}}: 400 malformed framing, 408 deadline, 413 body cap, 414/431 request line or
 * headers too large, 429 byte budget (with {@code Retry-After}), 503 worker queue full. Pipelined requests are
 * answered in order, one at a time per connection. Thread-safe; {@link #close} stops it.
 */
public final class HttpFront implements AutoCloseable {
  /**
   * What to serve.
   *
   * @param name names the threads ({@code <name>-http-N}) and log lines
   * @param host bind address
   * @param port port, 0 for a free one
   * @param limits deadlines and caps
   * @param maxBodyBytes largest request body; larger gets 413
   * @param bodyCapKey the config key that sets {@code maxBodyBytes}, named in the 413 message
   * @param bodyCapFlag the flag that sets it, named in the 413 message
   * @param workers threads that run the handler, in [1, 1024]
   */
  public record Spec(String name, String host, int port, HttpLimits limits, int maxBodyBytes, String bodyCapKey,
      String bodyCapFlag, int workers) {
    public Spec {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(limits, "limits");
      Objects.requireNonNull(bodyCapKey, "bodyCapKey");
      Objects.requireNonNull(bodyCapFlag, "bodyCapFlag");
      if (workers < 1 || workers > 1024) {
        throw new IllegalArgumentException("http workers must be in [1, 1024], was " + workers);
      }
      if (maxBodyBytes < 0) {
        throw new IllegalArgumentException(bodyCapKey + " must be >= 0, was " + maxBodyBytes);
      }
    }
  }

  /** Told of each request the front refuses itself (by error code), e.g. for a rejection counter. Thread-safe. */
  @FunctionalInterface
  public interface Listener {
    void rejected(String code);
  }

  private final EventLoopGroup boss;
  private final EventLoopGroup io;
  private final ThreadPoolExecutor workers;
  private final ByteBudget budget;
  private final AtomicInteger connections = new AtomicInteger();
  private final Channel channel;

  private HttpFront(Spec spec, RequestHandler handler, Listener listener) throws IOException {
    this.budget = new ByteBudget(spec.limits().maxInFlightBytes());
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(spec.workers(), spec.workers(), 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(Math.max(64, 4 * spec.workers())), r -> {
          Thread t = new Thread(r, spec.name() + "-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.workers.allowCoreThreadTimeOut(true);
    this.boss = new MultiThreadIoEventLoopGroup(1, daemon(spec.name() + "-http-accept"), NioIoHandler.newFactory());
    this.io = new MultiThreadIoEventLoopGroup(2, daemon(spec.name() + "-http-io"), NioIoHandler.newFactory());
    Channels.Shared shared = new Channels.Shared(spec.limits(), spec.maxBodyBytes(),
        spec.bodyCapKey() + "=" + spec.maxBodyBytes() + " (set " + spec.bodyCapFlag() + ")", budget,
        workers, handler, listener == null ? code -> { } : listener, connections);
    ServerBootstrap b = new ServerBootstrap().group(boss, io).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true) // a client that half-closes still reads its answer
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Channels.install(ch.pipeline(), shared);
          }
        });
    try {
      this.channel = b.bind(new InetSocketAddress(spec.host(), spec.port())).syncUninterruptibly().channel();
    } catch (Exception e) { // a BindException, thrown unchecked by Netty
      shutdown();
      throw new IOException("cannot listen on " + spec.host() + ":" + spec.port()
          + ": " + e.getMessage(), e);
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Binds and starts serving {@code handler}; {@code listener} may be null. */
  public static HttpFront start(Spec spec, RequestHandler handler, Listener listener) throws IOException {
    return new HttpFront(spec, Objects.requireNonNull(handler, "handler"), listener);
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Request-body bytes held now (declared or received, until their handler returns). */
  public long inFlightBytes() {
    return budget.used();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    shutdown();
  }

  private void shutdown() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownNow();
    try {
      boss.terminationFuture().await(5, TimeUnit.SECONDS);
      io.terminationFuture().await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
