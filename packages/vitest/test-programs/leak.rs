// leak.rs: a Rust module (wasm32-unknown-unknown cdylib, the default allocator) for
// the limit tests. leak() keeps its boxed slices; release() drops them all.

const MAX_KEPT: usize = 100_000;

static mut KEPT: [(usize, usize); MAX_KEPT] = [(0, 0); MAX_KEPT];
static mut NKEPT: usize = 0;

fn keep(size: usize, fill: u8) -> Box<[u8]> {
    vec![fill; size].into_boxed_slice() // SITE keep
}

#[no_mangle]
pub extern "C" fn leak(n: u32, size: u32) {
    for i in 0..n {
        unsafe {
            if NKEPT == MAX_KEPT {
                return;
            }
            let block = Box::into_raw(keep(size as usize, i as u8 | 1));
            KEPT[NKEPT] = (block as *mut u8 as usize, size as usize);
            NKEPT += 1;
        }
    }
}

#[no_mangle]
pub extern "C" fn release() {
    unsafe {
        while NKEPT > 0 {
            NKEPT -= 1;
            let (ptr, len) = KEPT[NKEPT];
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr as *mut u8, len)));
        }
    }
}
