// The C interface of CXRootD.h over XrdCl. No exception crosses it; status objects are turned
// into dk_xrd_error. Every call is made asynchronously and waited for with our own deadline:
// XrdCl's synchronous calls can wait far longer than their timeout for a server that accepts
// connections but never answers. An operation still running at its deadline is abandoned: its
// handler and buffers outlive the call, and the file object is never freed under it.
#include "CXRootD.h"

#include <XrdCl/XrdClDefaultEnv.hh>
#include <XrdCl/XrdClEnv.hh>
#include <XrdCl/XrdClFile.hh>
#include <XrdCl/XrdClFileSystem.hh>
#include <XrdCl/XrdClURL.hh>
#include <XProtocol/XProtocol.hh>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

/// Buffers of earlier vector reads, kept for the next ones: at most 16 and 256 MiB in all.
namespace {
struct Pool {
    std::mutex m;
    std::vector<std::pair<char *, size_t>> free;
    size_t bytes = 0;
} pool;

/// A buffer of at least `n` bytes (a kept one when one is large enough); its capacity in `cap`.
char *take(size_t n, size_t *cap) {
    {
        std::lock_guard<std::mutex> lock(pool.m);
        for (size_t i = 0; i < pool.free.size(); i++) {
            if (pool.free[i].second >= n) {
                char *p = pool.free[i].first;
                *cap = pool.free[i].second;
                pool.bytes -= *cap;
                pool.free.erase(pool.free.begin() + (long)i);
                return p;
            }
        }
    }
    *cap = n ? n : 1;
    return (char *)std::malloc(*cap);
}

/// Sizes of the buffers handed out, by address, so that a released one goes back with its capacity.
std::mutex sizes_m;
std::vector<std::pair<char *, size_t>> sizes;
} // namespace

struct dk_xrd_file {
    XrdCl::File file;
    /// Set when an operation was abandoned at its deadline: the object is then never freed.
    bool abandoned = false;
};

/// Waits for one asynchronous response until a deadline. Whoever finishes last frees it: the
/// waiter when the response came in time, the handler when the waiter gave up.
struct Waiter : public XrdCl::ResponseHandler {
    std::mutex m;
    std::condition_variable cv;
    bool done = false, abandoned = false;
    XrdCl::XRootDStatus status;
    XrdCl::AnyObject *response = nullptr;
    /// Bytes of a vector read land here (malloc'd), never in the caller's memory; handed to
    /// the caller on success, freed with the waiter otherwise.
    char *bytes = nullptr;

    void HandleResponse(XrdCl::XRootDStatus *st, XrdCl::AnyObject *resp) override {
        std::unique_lock<std::mutex> lock(m);
        if (abandoned) {
            lock.unlock();
            delete st;
            delete resp;
            delete this;
            return;
        }
        status = *st;
        delete st;
        response = resp;
        done = true;
        cv.notify_all();
    }

    /// True when the response came within `seconds`; false hands this object to the handler.
    bool wait(uint16_t seconds) {
        std::unique_lock<std::mutex> lock(m);
        if (cv.wait_for(lock, std::chrono::seconds(seconds), [this] { return done; })) return true;
        abandoned = true;
        return false;
    }

    ~Waiter() override {
        delete response;
        std::free(bytes);
    }
};

static void timed_out(dk_xrd_error *err, const char *what, uint16_t seconds) {
    if (!err) return;
    err->transient = 1;
    err->code = XrdCl::errOperationExpired;
    err->err_no = 0;
    std::snprintf(err->message, sizeof err->message, "%s: no answer within %u s", what, (unsigned)seconds);
}

/// Starts an operation with `start(handler)` and waits for it. Returns the waiter (to be
/// deleted by the caller) or nullptr with `err` filled (start failed or deadline passed).
template <typename Start>
static Waiter *run(dk_xrd_file *f, Start start, uint16_t timeout, const char *what, dk_xrd_error *err, Waiter *w = nullptr);

static void fill(dk_xrd_error *err, const XrdCl::XRootDStatus &st) {
    if (!err) return;
    err->code = st.code;
    err->err_no = (int)st.errNo;
    switch (st.code) {
    case XrdCl::errSocketError: case XrdCl::errSocketTimeout: case XrdCl::errSocketDisconnected:
    case XrdCl::errPollerError: case XrdCl::errStreamDisconnect: case XrdCl::errConnectionError:
    case XrdCl::errInvalidSession: case XrdCl::errOperationExpired: case XrdCl::errOperationInterrupted:
        err->transient = 1;
        break;
    case XrdCl::errErrorResponse:
        err->transient = st.errNo == kXR_Overloaded || st.errNo == kXR_noserver || st.errNo == kXR_ServerError;
        break;
    default:
        err->transient = 0;
    }
    std::string text = st.ToString();
    // XrdCl messages end in a newline; keep one line.
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (char &c : text) if (c == '\n') c = ' ';
    std::snprintf(err->message, sizeof err->message, "%s", text.c_str());
}

static void fail(dk_xrd_error *err, const char *message) {
    if (!err) return;
    err->transient = 0;
    err->code = 0;
    err->err_no = 0;
    std::snprintf(err->message, sizeof err->message, "%s", message);
}

template <typename Start>
static Waiter *run(dk_xrd_file *f, Start start, uint16_t timeout, const char *what, dk_xrd_error *err, Waiter *w) {
    if (!w) w = new Waiter;
    XrdCl::XRootDStatus st = start(w);
    if (!st.IsOK()) {
        fill(err, st);
        delete w;
        return nullptr;
    }
    if (!w->wait(timeout)) {
        if (f) f->abandoned = true;
        timed_out(err, what, timeout);
        return nullptr;
    }
    if (!w->status.IsOK()) {
        fill(err, w->status);
        delete w;
        return nullptr;
    }
    return w;
}

extern "C" void dk_xrd_configure(int connection_window, int connection_retry, int request_timeout) {
    XrdCl::Env *env = XrdCl::DefaultEnv::GetEnv();
    env->PutInt("ConnectionWindow", connection_window);
    env->PutInt("ConnectionRetry", connection_retry);
    env->PutInt("RequestTimeout", request_timeout);
    env->PutInt("StreamErrorWindow", connection_window);
}

extern "C" dk_xrd_file *dk_xrd_open(const char *url, uint16_t timeout, uint64_t *size, dk_xrd_error *err) {
    try {
        dk_xrd_file *f = new dk_xrd_file;
        std::string u(url);
        Waiter *w = run(f, [&](Waiter *h) { return f->file.Open(u, XrdCl::OpenFlags::Read, XrdCl::Access::None, h, timeout); },
                        timeout, "open", err);
        if (!w) {
            if (!f->abandoned) delete f;
            return nullptr;
        }
        delete w;
        int64_t n = dk_xrd_size(f, timeout, err);
        if (n < 0) {
            dk_xrd_close(f);
            return nullptr;
        }
        *size = (uint64_t)n;
        return f;
    } catch (...) {
        fail(err, "the XRootD client failed (exception)");
        return nullptr;
    }
}

extern "C" int dk_xrd_readv(dk_xrd_file *f, int n, const uint64_t *offsets, const uint32_t *lengths, void **out,
                            uint16_t timeout, dk_xrd_error *err) {
    try {
        Waiter *w = new Waiter;
        uint64_t want = 0;
        for (int i = 0; i < n; i++) want += lengths[i];
        size_t cap = 0;
        w->bytes = take(want, &cap);
        if (!w->bytes) {
            delete w;
            fail(err, "out of memory");
            return -1;
        }
        XrdCl::ChunkList chunks;
        chunks.reserve(n);
        uint64_t at = 0;
        for (int i = 0; i < n; i++) {
            chunks.emplace_back(offsets[i], lengths[i], w->bytes + at);
            at += lengths[i];
        }
        w = run(f, [&](Waiter *h) { return f->file.VectorRead(chunks, nullptr, h, timeout); }, timeout, "vector read", err, w);
        if (!w) return -1;
        XrdCl::VectorReadInfo *info = nullptr;
        if (w->response) w->response->Get(info);
        uint64_t got = info ? info->GetSize() : 0;
        if (got != want) {
            delete w;
            fail(err, "the server returned fewer bytes than asked for");
            return -2;
        }
        *out = w->bytes;
        {
            std::lock_guard<std::mutex> lock(sizes_m);
            sizes.emplace_back(w->bytes, cap);
        }
        w->bytes = nullptr;
        delete w;
        return 0;
    } catch (...) {
        fail(err, "the XRootD client failed (exception)");
        return -1;
    }
}

extern "C" void dk_xrd_release(void *buffer) {
    if (!buffer) return;
    size_t cap = 0;
    {
        std::lock_guard<std::mutex> lock(sizes_m);
        for (size_t i = 0; i < sizes.size(); i++) {
            if (sizes[i].first == buffer) {
                cap = sizes[i].second;
                sizes.erase(sizes.begin() + (long)i);
                break;
            }
        }
    }
    {
        std::lock_guard<std::mutex> lock(pool.m);
        if (cap > 0 && pool.free.size() < 16 && pool.bytes + cap <= (256u << 20)) {
            pool.free.emplace_back((char *)buffer, cap);
            pool.bytes += cap;
            return;
        }
    }
    std::free(buffer);
}

extern "C" int64_t dk_xrd_size(dk_xrd_file *f, uint16_t timeout, dk_xrd_error *err) {
    try {
        Waiter *w = run(f, [&](Waiter *h) { return f->file.Stat(true, h, timeout); }, timeout, "stat", err);
        if (!w) return -1;
        XrdCl::StatInfo *info = nullptr;
        if (w->response) w->response->Get(info);
        int64_t size = info ? (int64_t)info->GetSize() : -1;
        delete w;
        if (size < 0) fail(err, "the server sent no file size");
        return size;
    } catch (...) {
        fail(err, "the XRootD client failed (exception)");
        return -1;
    }
}

extern "C" void dk_xrd_close(dk_xrd_file *f) {
    if (!f) return;
    try {
        if (!f->abandoned && f->file.IsOpen()) {
            dk_xrd_error err;
            Waiter *w = run(f, [&](Waiter *h) { return f->file.Close(h, 5); }, 5, "close", &err);
            delete w;
        }
    } catch (...) {
    }
    // A file with an operation still running is left to it (a few kilobytes).
    if (!f->abandoned) delete f;
}

extern "C" char *dk_xrd_dirlist(const char *url, uint16_t timeout, dk_xrd_error *err) {
    try {
        XrdCl::URL u(url);
        if (!u.IsValid()) {
            fail(err, "not a valid root:// URL");
            return nullptr;
        }
        XrdCl::FileSystem *fs = new XrdCl::FileSystem(u);
        dk_xrd_file marker;
        Waiter *w = run(&marker, [&](Waiter *h) { return fs->DirList(u.GetPath(), XrdCl::DirListFlags::None, h, timeout); },
                        timeout, "directory listing", err);
        // A listing abandoned at its deadline keeps its FileSystem object.
        if (!marker.abandoned) delete fs;
        if (!w) return nullptr;
        XrdCl::DirectoryList *list = nullptr;
        if (w->response) w->response->Get(list);
        if (!list) {
            delete w;
            fail(err, "the server sent no listing");
            return nullptr;
        }
        std::string names;
        for (auto it = list->Begin(); it != list->End(); ++it) {
            names += (*it)->GetName();
            names += '\n';
        }
        delete w;
        char *out = (char *)std::malloc(names.size() + 1);
        if (!out) {
            fail(err, "out of memory");
            return nullptr;
        }
        std::memcpy(out, names.c_str(), names.size() + 1);
        return out;
    } catch (...) {
        fail(err, "the XRootD client failed (exception)");
        return nullptr;
    }
}
