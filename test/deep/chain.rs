// chain.rs: a known call chain through a generic method, for exact tracebacks.
//   run -> build_index -> Pool<Node>::make -> Box::new -> __rust_alloc(32)   n times
// Built as a wasm32-unknown-unknown cdylib (no imports): the test calls `run`.

pub struct Node {
    pub key: u32,
    pub payload: [u8; 28],
}

pub struct Pool<T> {
    items: Vec<*mut T>,
}

impl<T> Pool<T> {
    #[inline(never)]
    pub fn make(&mut self, value: T) -> *mut T {
        let object = Box::into_raw(Box::new(value));
        self.items.push(object);
        object
    }
}

#[inline(never)]
fn build_index(pool: &mut Pool<Node>, count: u32) {
    for key in 0..count {
        pool.make(Node { key, payload: [key as u8; 28] });
    }
}

#[no_mangle]
pub extern "C" fn run(count: u32) -> u32 {
    let mut pool = Pool { items: Vec::with_capacity(1024) };
    build_index(&mut pool, count);
    let n = pool.items.len() as u32;
    std::mem::forget(pool);
    n
}
