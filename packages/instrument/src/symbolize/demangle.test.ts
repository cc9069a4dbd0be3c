import { describe, expect, it } from 'vitest';
import { demangle } from './demangle.js';

// Names as they appear in the fixtures (name section, DW_AT_linkage_name) and in
// REFERENCE.md (v0-mangled allocator shims of current rustc).
describe('demangle', () => {
  it('Rust legacy: paths without the hash, $-escapes decoded, .llvm.N dropped', () => {
    expect(demangle('_ZN7leak_rs10leak_boxes17hcf43e7f4f0ca77b4E')).toBe('leak_rs::leak_boxes');
    expect(demangle('_ZN5alloc7raw_vec11finish_grow17hde183c099193ba97E')).toBe('alloc::raw_vec::finish_grow');
    expect(demangle('_ZN72_$LT$$RF$str$u20$as$u20$alloc..ffi..c_str..CString..new..SpecNewImpl$GT$13spec_new_impl17h996cfd19f845cf8aE')).toBe(
      '<&str as alloc::ffi::c_str::CString::new::SpecNewImpl>::spec_new_impl',
    );
    expect(demangle('_ZN3std4sync4once4Once15call_once_force28_$u7b$$u7b$closure$u7d$$u7d$17hb35c382d37720e43E.llvm.5586394452431131964')).toBe(
      'std::sync::once::Once::call_once_force::{{closure}}',
    );
  });

  it('Rust v0: paths, generic arguments, crate disambiguators dropped', () => {
    expect(demangle('_RNvCs1234_7___rustc12___rust_alloc')).toBe('__rustc::__rust_alloc');
    expect(demangle('_RINvNtCs9ltgdHTiPiY_4core3ptr13drop_in_placeNtNtCsaKq7uvL5zTr_5alloc6string6StringEB9_')).toBe('core::ptr::drop_in_place::<alloc::string::String>');
  });

  it('Itanium C++: templates, substitutions, operators, std:: abbreviations', () => {
    expect(demangle('_Z14vector_reservev')).toBe('vector_reserve()');
    expect(demangle('_ZNSt3__26vectorIiNS_9allocatorIiEEE7reserveEm')).toBe('std::__2::vector<int, std::__2::allocator<int> >::reserve(unsigned long)');
    expect(demangle('_ZnwmSt11align_val_t')).toBe('operator new(unsigned long, std::align_val_t)');
    expect(demangle('_ZdlPvm')).toBe('operator delete(void*, unsigned long)');
  });

  it('leaves names that are not mangled alone', () => {
    for (const name of ['malloc', 'vector_reserve()', '~lib/rt/itcms/__new', 'leak_as/leakBuffers', '__original_main', '_start']) {
      expect(demangle(name)).toBe(name);
    }
  });
});
