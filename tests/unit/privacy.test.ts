import { describe, expect, it } from 'vitest';
import { maskName, maskPhone } from '../../src/lib/privacy.ts';

describe('masking', () => {
	it('masks names as 张*明', () => {
		expect(maskName('张小明')).toBe('张*明');
		expect(maskName('张明')).toBe('张*');
		expect(maskName('欧阳小明')).toBe('欧**明');
		expect(maskName('王')).toBe('*');
	});
	it('masks phones as 138****1234', () => {
		expect(maskPhone('13812341234')).toBe('138****1234');
		expect(maskPhone('100-1234-5678')).toBe('100****5678');
		expect(maskPhone('123')).toBe('***');
	});
});
