package net.koukan.restout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HTTP exchange with the upstream, bounded by a deadline ({@link System#nanoTime} based) and
 * by the size of what it answers. Follows 307/308 itself, re-sending the same method, body and
 * headers to the new location (the JDK client's own redirect handling differs between releases);
 * other 3xx are returned as they are. Transport failures and timeouts become
 * {@link UpstreamException}s phrased for the client.
 */
final class UpstreamHttp {
  /** Largest response body read (upstream JSON is small). */
  static final int MAX_RESPONSE = 1 << 20;
  private static final int MAX_REDIRECTS = 5;
  /** A timeout this close to the deadline is the deadline's. */
  private static final long DEADLINE_SLACK = TimeUnit.MILLISECONDS.toNanos(50);

  private final HttpClient client;

  UpstreamHttp(HttpClient client) {
    this.client = client;
  }

  /** An answer, with the URI that finally gave it (after redirects). */
  record Reply(URI uri, int status, HttpHeaders headers, byte[] body) {
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    /** A short, single-line excerpt of the body for error messages. */
    String excerpt() {
      String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
      return UpstreamView.clean(s);
    }
  }

  /**
   * Sends {@code method uri} with {@code body} and the given header name/value pairs; the whole
   * exchange (redirects included) must end before {@code deadline}.
   */
  Reply send(String method, URI uri, HttpRequest.BodyPublisher body, long deadline,
      String... headers) throws UpstreamException, InterruptedException {
    URI current = uri;
    for (int hop = 0; ; hop++) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw UpstreamException.timeout();
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(current)
          .timeout(Duration.ofNanos(left))
          .method(method, body);
      for (int i = 0; i < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
      }
      HttpResponse<byte[]> r = exchange(method, current, b.build(), deadline);
      int s = r.statusCode();
      if (s != 307 && s != 308) {
        return new Reply(current, s, r.headers(), r.body());
      }
      String location = r.headers().firstValue("Location").orElse(null);
      if (location == null) {
        throw UpstreamException.protocol(method + " " + current + " answered " + s + " without Location");
      }
      if (hop >= MAX_REDIRECTS) {
        throw UpstreamException.protocol(method + " " + uri + ": more than " + MAX_REDIRECTS + " redirects");
      }
      try {
        current = current.resolve(location);
      } catch (IllegalArgumentException e) {
        throw UpstreamException.protocol(method + " " + current + " redirected to an invalid Location");
      }
      String scheme = current.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        throw UpstreamException.protocol(method + " " + uri + " redirected to a non-HTTP URL");
      }
    }
  }

  private HttpResponse<byte[]> exchange(String method, URI uri, HttpRequest req, long deadline)
      throws UpstreamException, InterruptedException {
    CompletableFuture<HttpResponse<byte[]>> f = client.sendAsync(req, info -> new Limited(MAX_RESPONSE));
    try {
      return f.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw UpstreamException.timeout();
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      throw failure(method, uri, e.getCause(), deadline);
    }
  }

  private static UpstreamException failure(String method, URI uri, Throwable t, long deadline) {
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof HttpTimeoutException && System.nanoTime() - deadline >= -DEADLINE_SLACK) {
      return UpstreamException.timeout(); // our deadline, even if it struck while connecting
    }
    if (t instanceof HttpConnectTimeoutException) {
      return UpstreamException.transport("4.4.1 rest_output: connect timeout to " + uri);
    }
    if (t instanceof HttpTimeoutException) {
      return UpstreamException.timeout();
    }
    if (t instanceof ConnectException) {
      return UpstreamException.transport("4.4.1 rest_output: connection refused to " + uri);
    }
    if (t instanceof TooLarge) {
      return UpstreamException.protocol(method + " " + uri + ": " + t.getMessage());
    }
    String detail = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    if (t instanceof javax.net.ssl.SSLException) {
      return UpstreamException.transport("4.7.5 rest_output: TLS with " + uri + " failed: " + detail);
    }
    if (t instanceof IOException) {
      return UpstreamException.transport("4.4.2 rest_output: connection lost to " + uri
          + " (" + method + "): " + detail);
    }
    return UpstreamException.transport("4.4.2 rest_output: " + method + " " + uri + " failed: " + detail);
  }

  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(int max) {
      super("response larger than " + max + " bytes");
    }
  }

  /** Collects a response body, failing (and closing the exchange) beyond {@code max} bytes. */
  private static final class Limited implements HttpResponse.BodySubscriber<byte[]> {
    private final int max;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Limited(int max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if (out.size() + b.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(new TooLarge(max));
          return;
        }
        byte[] a = new byte[b.remaining()];
        b.get(a);
        out.writeBytes(a);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }
}
