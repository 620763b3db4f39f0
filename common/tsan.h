/* ThreadSanitizer annotations, empty in other builds. liburcu's queues order
 * memory with inline assembly and barriers that TSan does not see; where one
 * hands an object from a thread to another, the sender marks it released
 * before queueing it and the receiver acquired once it has it, which tells
 * TSan what the queue guarantees.
 */
#pragma once

#if defined(__SANITIZE_THREAD__)
#define HL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HL_TSAN 1
#endif
#endif

#ifdef HL_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define hl_tsan_release(p) __tsan_release((void *)(p))
#define hl_tsan_acquire(p) __tsan_acquire((void *)(p))
#else
#define hl_tsan_release(p) ((void)(p))
#define hl_tsan_acquire(p) ((void)(p))
#endif
