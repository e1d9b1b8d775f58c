//! The C-ABI exports the page calls (`web/app.js`), one open file and one output buffer
//! per module instance (wasm32-unknown-unknown has one thread):
//!
//! - `jangada_alloc(len) -> ptr`: a buffer of `len` bytes for the page to fill (a file
//!   image, or a dataset path); `jangada_free(ptr, len)` gives one back.
//! - `jangada_open(ptr, len) -> out_len`: open the file image in the buffer (which the
//!   call takes over: do not free it) and write [`Viewer::open`]'s JSON to the output.
//! - `jangada_preview(ptr, len) -> out_len`: the preview of the dataset whose UTF-8 path
//!   is in the buffer (still the caller's) ([`Viewer::preview`]).
//! - `jangada_output() -> ptr`: where the last answer's `out_len` bytes of JSON are (valid
//!   until the next call; read them before anything else).
//! - `jangada_close()`: drop the open file and the output.
//!
//! The exports hold no logic beyond moving bytes: what they answer is [`Viewer`]'s.

use std::cell::RefCell;

use serde_json::Value;

use crate::Viewer;

/// The module's state: the viewer, and the JSON of the last answer.
#[derive(Default)]
struct State {
    viewer: Viewer,
    output: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Store `answer` as the output and give its length.
fn respond(state: &mut State, answer: &Value) -> usize {
    state.output = serde_json::to_vec(answer).unwrap_or_else(|_| {
        br#"{"ok":false,"error":"the answer could not be written as JSON"}"#.to_vec()
    });
    state.output.len()
}

/// A zeroed buffer of `len` bytes that the caller owns until it hands it to
/// [`jangada_open`] or [`jangada_free`].
#[no_mangle]
pub extern "C" fn jangada_alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast::<u8>()
}

/// Give back a buffer of [`jangada_alloc`].
///
/// # Safety
/// `ptr` and `len` are those of one [`jangada_alloc`] call whose buffer was neither freed
/// nor given to [`jangada_open`].
#[no_mangle]
pub unsafe extern "C" fn jangada_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller guarantees that (ptr, len) is a live `Box<[u8]>` of
    // `jangada_alloc`, which `into_raw` left us to rebuild exactly once.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// Open the file image in a buffer of [`jangada_alloc`] (taken over); the length of the
/// JSON answer at [`jangada_output`].
///
/// # Safety
/// As for [`jangada_free`]: the buffer is given up by this call.
#[no_mangle]
pub unsafe extern "C" fn jangada_open(ptr: *mut u8, len: usize) -> usize {
    // SAFETY: as in `jangada_free`: (ptr, len) is a live `Box<[u8]>` that the caller gives
    // up; the file keeps its bytes without a copy.
    let bytes = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) };
    STATE.with_borrow_mut(|state| {
        let answer = state.viewer.open(bytes.into_vec());
        respond(state, &answer)
    })
}

/// The preview of the dataset whose UTF-8 path is in `ptr[..len]`; the length of the JSON
/// answer at [`jangada_output`].
///
/// # Safety
/// `ptr[..len]` is readable memory (a buffer of [`jangada_alloc`], still the caller's);
/// `ptr` is not read when `len` is 0.
#[no_mangle]
pub unsafe extern "C" fn jangada_preview(ptr: *const u8, len: usize) -> usize {
    let bytes = if len == 0 || ptr.is_null() {
        &[][..]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `ptr` (not null), which
        // nothing writes during this call (one thread).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    };
    STATE.with_borrow_mut(|state| {
        let path = String::from_utf8_lossy(bytes);
        let answer = state.viewer.preview(&path);
        respond(state, &answer)
    })
}

/// Where the last answer's JSON is (its length was the call's result).
#[no_mangle]
pub extern "C" fn jangada_output() -> *const u8 {
    STATE.with_borrow(|state| state.output.as_ptr())
}

/// Drop the open file and the last answer.
#[no_mangle]
pub extern "C" fn jangada_close() {
    STATE.with_borrow_mut(|state| *state = State::default());
}
